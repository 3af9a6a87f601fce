"""The one exception tree of the kiosk.

Every failure that crosses a module boundary is one of these. Drivers translate
library errors (``OSError``, ``serial.SerialException``, pyscard and requests
exceptions) into this tree at their boundary, once; the workflow turns them into
a message a citizen understands through :attr:`KioskError.i18n_key`.

::

    KioskError                      i18n_key says what the citizen is told
    ├── ConfigError                 bad config/catalog file; exit code 2, no traceback
    ├── DeviceError                 anything a device did or failed to do
    │   ├── DeviceUnavailable       not present, unplugged, library missing
    │   ├── DeviceTimeout           no answer in time
    │   ├── ProtocolError           bytes that do not parse (frames, checksums)
    │   ├── CardError               the card reader answered with a failure status
    │   │   └── NoCard              no card in the field
    │   ├── PrinterError            printer refused or failed a job
    │   │   ├── PaperOut
    │   │   └── CoverOpen
    │   └── CameraError             no frames, frozen, black
    ├── ValidationError             a form value or a case is not acceptable
    ├── OutboxError                 the durable outbox cannot store or open
    │   ├── OutboxFull              caps on pending cases/bytes reached
    │   └── OutboxKeyError          encryption key missing or wrong
    ├── BackofficeError             talking to the back office
    │   ├── TransientError          worth retrying (timeouts, 5xx, 429)
    │   │   └── BackofficeUnreachable   no answer at all / overloaded: hold the whole queue
    │   └── PermanentError          refused for good (4xx); kept for staff
    │       ├── AuthError           signature refused (401)
    │       └── MissingMaterials    422 missing_materials: upload these blobs, then retry
    ├── WorkflowError               a trigger that the current state does not allow
    └── SimulationError             the simulated environment (simenv/environment.py) failed

Device packages add status-specific subclasses under these branches (e.g.
``devices/idcard/errors.py`` maps every SAM status byte to a ``CardError``,
``NoCard`` or ``ProtocolError`` subclass), so callers may catch either level.

``UserCancelled`` is deliberately *not* a ``KioskError``: a citizen pressing
Cancel is not a failure and must never be logged or shown as one.
"""

from __future__ import annotations


class KioskError(Exception):
    """Base of every project error.

    ``i18n_key`` names the citizen-facing message (see ``kiosk/locale``);
    ``str(error)`` is the technician-facing detail and must never contain
    personal data (full ID numbers, names, photos).
    """

    i18n_key: str = "error.generic"

    def __init__(self, detail: str = "", *, i18n_key: str | None = None) -> None:
        super().__init__(detail)
        if i18n_key is not None:
            self.i18n_key = i18n_key

    @property
    def detail(self) -> str:
        return str(self)


class ConfigError(KioskError):
    """A configuration or catalog file is unusable.

    Carries the file, the dotted key path and the problem so that the one-line
    message tells an operator exactly what to fix.
    """

    i18n_key = "error.config"

    def __init__(self, file: str, key_path: str, problem: str) -> None:
        self.file = file
        self.key_path = key_path
        self.problem = problem
        where = f"{file}: {key_path}" if key_path else file
        super().__init__(f"{where}: {problem}")


class DeviceError(KioskError):
    i18n_key = "error.device"


class DeviceUnavailable(DeviceError):
    i18n_key = "error.device_unavailable"


class DeviceTimeout(DeviceError):
    i18n_key = "error.device_timeout"


class ProtocolError(DeviceError):
    """Bytes from outside that do not parse. The only error a parser may raise."""

    i18n_key = "error.device"


class CardError(DeviceError):
    i18n_key = "error.card_read"


class NoCard(CardError):
    i18n_key = "error.no_card"


class PrinterError(DeviceError):
    i18n_key = "error.printer"


class PaperOut(PrinterError):
    i18n_key = "error.paper_out"


class CoverOpen(PrinterError):
    i18n_key = "error.cover_open"


class CameraError(DeviceError):
    i18n_key = "error.camera"


class ValidationError(KioskError):
    """A value the citizen (or a client) supplied is not acceptable.

    ``field`` names the form field when there is one, so the screen can point at it.
    """

    i18n_key = "error.validation"

    def __init__(self, detail: str = "", *, field: str | None = None,
                 i18n_key: str | None = None) -> None:
        super().__init__(detail, i18n_key=i18n_key)
        self.field = field


class OutboxError(KioskError):
    i18n_key = "error.outbox"


class OutboxFull(OutboxError):
    i18n_key = "error.outbox_full"


class OutboxKeyError(OutboxError):
    i18n_key = "error.outbox"


class BackofficeError(KioskError):
    i18n_key = "error.backoffice"


class TransientError(BackofficeError):
    """Worth retrying. ``retry_after`` is the server's Retry-After in seconds, if any."""

    def __init__(self, detail: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class BackofficeUnreachable(TransientError):
    """The back office as a whole cannot be reached (connection refused or cut,
    timeout, 429/502/503/504): every queued case waits, not only this one."""


class PermanentError(BackofficeError):
    """Refused for good. ``status`` is the HTTP status and ``code`` the answer's ``error``
    (backoffice/API.md); the case is kept for staff."""

    def __init__(self, detail: str = "", *, status: int | None = None, code: str = "") -> None:
        super().__init__(detail)
        self.status = status
        self.code = code


class AuthError(PermanentError):
    i18n_key = "error.backoffice"


class MissingMaterials(PermanentError):
    """The back office lacks blobs the case names (``missing``: their SHA-256)."""

    def __init__(self, detail: str = "", *, missing: tuple[str, ...] = ()) -> None:
        super().__init__(detail, status=422)
        self.missing = missing


class WorkflowError(KioskError):
    i18n_key = "error.generic"


class SimulationError(KioskError):
    """A simulator or the local back office of ``simenv.environment`` did not start or answer.
    Developer and test tooling only; a real terminal never raises it."""


class UserCancelled(Exception):
    """The citizen cancelled. Not a KioskError on purpose: never logged as a failure."""
