"""Event monitor: TMF642 alarms per customer, raised from conditions (detectors, the switch, other
resources), deduplicated, cleared with hysteresis, acknowledged and commented, delivered in order."""
