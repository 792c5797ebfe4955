"""The traffic resource: call events and CDRs from the switch, live counters, history."""
