"""Technician mode: a hidden entry (corner gesture, then a PIN) and the screens a
technician needs on site: devices, self-tests, outbox, back office, recent logs and
the diagnostic bundle. The screens only render what
:class:`kiosk.technician.console.TechnicianConsole` answers and call its actions.

What the app may attach to ``kiosk.services`` (otherwise built from the config):
``technician`` (TechnicianConsole), ``pin_gate`` (kiosk.technician.gate.PinGate),
``log_ring`` (the RingBufferHandler of kiosk.logging_setup, for recent logs);
``outbox``/``sender`` default to the journey's submission path
(``services["journey"].submission``).
"""
