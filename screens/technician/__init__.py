"""Technician mode: a hidden entry (corner gesture, then a PIN) and the screens a
technician needs on site: devices, self-tests, outbox, back office, recent logs and
the diagnostic bundle. The screens only render what
:class:`kiosk.technician.console.TechnicianConsole` answers and call its actions.

The console, the PIN gate and the corner gesture come from ``kiosk.services``
(:class:`kiosk.wiring.services.Services`), which builds them from the configuration
unless the app or a test set its own (``technician``, ``pin_gate``, ``log_ring``);
the console's outbox and sender are the journey's submission path.
"""
