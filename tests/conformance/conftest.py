"""tests/conformance: the TMF642 and TMF621 APIs checked against TM Forum's published v4 swagger
(schemas/, see SOURCE.md). The apps and callers come from the resources' own support modules
(events_support.py, tickets_support.py, and the assertion_fakes.py they import); pytest puts a
folder on sys.path only when it collects from it, so a run of this folder alone adds them here."""

import sys
from pathlib import Path

RESOURCES = Path(__file__).resolve().parents[1] / "resources"
for folder in (RESOURCES, RESOURCES / "events", RESOURCES / "tickets"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
