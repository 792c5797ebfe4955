"""Outbound network manager: what each of an enterprise customer's users may dial."""
