"""The toll-free resource: numbers, routing plans (CPR trees), templates, labels, the SCP."""
