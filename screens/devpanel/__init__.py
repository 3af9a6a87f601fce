"""The developer panel of ``scripts/run`` on the simulators (never on a real kiosk)."""
