"""The dispatcher: manifest registry, pure policy, ES256 assertions, header hygiene, forwarding."""
