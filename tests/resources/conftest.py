"""tests/resources: shared fakes live in assertion_fakes.py (a unique module name; pytest puts
this folder on sys.path when it loads this conftest, so every resource's tests import it), and
bus_fakes.py (RecordingBus)."""
