"""Device packages: one per kind. Never import Kivy, and never the kiosk core.

``devices`` depends only on a small foundation: :mod:`kiosk.errors` (the one
exception tree), :mod:`kiosk.clock` (injected time), :mod:`kiosk.privacy`
(masking in diagnostics) and :mod:`devices.base`. The kiosk hands devices what
they need as parameters: their settings (:mod:`devices.settings`, embedded in
the kiosk configuration), the page finder of the document scanner, the test
page a printer check prints.

Shared by every kind:

* :mod:`devices.base`: status, listeners, and the one lifecycle of devices that
  watch their hardware from a thread (:class:`~devices.base.PollingDevice`);
* :mod:`devices.cards`: the card events both card readers report;
* :mod:`devices.settings`: the ``devices:`` sections of ``config/kiosk.yaml``;
* :mod:`devices.simcontrol`: the control socket every simulator serves, and its client.

The parts of a kind: ``base`` (behaviour), drivers (primitives), simulator,
``diagnose`` (a technician's check over explicit settings), errors:

* idcard: ``base.py``; ``sam_serial.py`` over ``sam.py`` and ``protocol.py``;
  ``simulator.py`` with ``sim_control.py``; ``diagnose.py``; ``errors.py``.
* sscard: ``base.py``; ``pcsc.py`` over ``pyscard_backend.py``;
  ``virtual_card.py``; ``diagnose.py``; ``errors.py``.
* printer: ``base.py``; ``drivers.py``; ``emulator.py`` with ``emu_control.py``;
  ``diagnose.py``; ``status.py`` (status bits to :mod:`kiosk.errors`).
* camera: ``base.py``; ``opencv.py``; ``simulator.py`` with ``scenes.py``;
  ``diagnose.py``; errors straight from :mod:`kiosk.errors`.
* scanner: ``base.py``; ``doccam.py`` and ``sane.py``; the document camera's
  simulator; checked through the camera's ``diagnose``; :mod:`kiosk.errors`.
"""
