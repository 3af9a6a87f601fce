"""The kiosk's configuration as typed, frozen objects.

Two kinds of file:

* ``config/kiosk.yaml``: the terminal itself (identity, device drivers and
  ports, back office, outbox, face thresholds, technician PIN). A local overlay
  (``--config``, e.g. written by ``scripts/run`` with simulator ports) may
  override any key.
* ``config/sites/<name>.yaml``: the site profile an operator chooses (township
  hall, bank branch): name and branding, catalog subset, which devices are
  present and required, orientation, idle timeouts, languages.

Each device section belongs to its device package's owner: the sections are
defined in :mod:`devices.settings`; add fields there, with defaults, and
document them in ``config/kiosk.yaml``.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import pydantic
from pydantic import Field

from devices.base import Presence
from devices.settings import CameraConfig as CameraConfig
from devices.settings import DevicesConfig as DevicesConfig
from devices.settings import IdCardConfig as IdCardConfig
from devices.settings import PrinterConfig as PrinterConfig
from devices.settings import ScannerConfig as ScannerConfig
from devices.settings import SsCardConfig as SsCardConfig
from kiosk.config.loader import LText, StrictModel, merge_layers, read_yaml, validate
from kiosk.errors import ConfigError

#: The repository root; relative paths in config files are taken from here.
ROOT = Path(__file__).resolve().parents[2]

Language = Literal["zh_CN", "en"]
HexColour = Annotated[str, Field(pattern=r"^#[0-9A-Fa-f]{6}$")]
DeviceKind = Literal["idcard", "sscard", "printer", "camera", "doccam", "scanner",
                     "codescanner"]
#: How a citizen may prove who they are: the ID card (or 社保卡 where the item takes it),
#: or 亮码, an identity code on their phone read by the code scanner (docs/identity-codes.md).
IdentityMethod = Literal["card", "code"]


# --------------------------------------------------------------------------- terminal

class TerminalConfig(StrictModel):
    id: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]{2,23}$",
                    description="terminal id, e.g. XS-NY-0001; unique per site")
    #: Short code (2-4 letters/digits) used in kiosk references, unique across terminals.
    ref_prefix: str = Field(pattern=r"^[A-Z0-9]{2,4}$")
    site_profile: str = Field(pattern=r"^[a-z0-9-]+$")
    data_dir: str = "var"
    #: Set by the simulated environment's overlay (simenv/environment.py) only: this
    #: terminal talks to simulators, so the example reference prefix is allowed.
    simulated: bool = False

    def data_path(self) -> Path:
        return resolve(self.data_dir)


# --------------------------------------------------------------------------- services

class BackofficeConfig(StrictModel):
    #: Base URL of the 一窗受理 back office; empty = scripts/run starts the local one.
    url: str = ""
    #: CA bundle for TLS verification; empty = the system's trust store.
    ca_bundle: str = ""
    connect_timeout_s: float = Field(default=3.0, gt=0)
    read_timeout_s: float = Field(default=10.0, gt=0)
    #: How long the submit screen waits for a case number before printing "forwarded".
    submit_wait_s: float = Field(default=8.0, ge=0)
    #: File holding this terminal's HMAC secret (0600).
    secret_file: str = "var/secrets/terminal.key"
    #: Request signing suite, as the terminal was registered (terminal add --suite):
    #: HMAC-SHA256, or HMAC-SM3 for the national suite (GB/T 39786).
    suite: Literal["hmac-sha256", "hmac-sm3"] = "hmac-sha256"
    heartbeat_interval_s: float = Field(default=60.0, gt=0)

    @pydantic.field_validator("url")
    @classmethod
    def _https_unless_loopback(cls, url: str) -> str:
        # Cases carry ID numbers, phones and scans: plain http only to this machine.
        if not url:
            return url
        try:
            parts = urlsplit(url)
            host = parts.hostname or ""
        except ValueError:
            raise ValueError("not a URL") from None
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError("must be an https:// URL")
        if parts.scheme == "http" and not is_loopback(host):
            raise ValueError(f"http:// sends personal data unencrypted; use https:// "
                             f"(plain http is allowed only to loopback, not {host!r})")
        return url


class RetryConfig(StrictModel):
    base_s: float = Field(default=1.0, gt=0)
    cap_s: float = Field(default=300.0, gt=0)
    multiplier: float = Field(default=2.0, ge=1)
    jitter: float = Field(default=0.5, ge=0, le=1)


class OutboxConfig(StrictModel):
    path: str = "var/outbox.sqlite3"
    #: AES-256-GCM key file (0600); KIOSK_OUTBOX_KEY (base64) overrides it.
    key_file: str = "var/secrets/outbox.key"
    #: What new records are sealed with: AES-256-GCM, or SM4-GCM for the national
    #: suite (GB/T 39786). Records sealed before a change still open.
    cipher: Literal["aes-256-gcm", "sm4-gcm"] = "aes-256-gcm"
    max_pending_cases: int = Field(default=500, gt=0)
    max_pending_bytes: int = Field(default=2_000_000_000, gt=0)
    retry: RetryConfig = RetryConfig()
    #: Who delivers the outbox: ``thread``, a thread of the UI process (scripts/run);
    #: ``service``, the case-sender service (kiosk-sender.service on a terminal,
    #: ``python -m kiosk.service.sender``): the UI only stores cases and wakes it.
    sender: Literal["thread", "service"] = "thread"


class FaceConfig(StrictModel):
    #: SFace cosine similarity at or above which card photo and live face match.
    #: 0.42 = midway between what tests/kiosk/face measured on package photos: a
    #: 102×126 card-sized crop against a different photo of the same person scores
    #: 0.587-0.853, different people at most 0.256 (OpenCV's published SFace cut: 0.363).
    threshold: float = Field(default=0.42, gt=0, lt=1)
    max_attempts: int = Field(default=3, ge=1, le=10)
    fallback: Literal["staff", "deny"] = "staff"
    liveness: bool = True


class TechnicianConfig(StrictModel):
    #: scrypt hash of the technician PIN: "scrypt$N$r$p$salt_b64$hash_b64".
    pin_hash: str = ""
    max_wrong_pins: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    #: Key (0600, created on first start) of the MAC that makes the lockout state
    #: tamper-evident; empty = <terminal.data_dir>/secrets/technician.key.
    state_key_file: str = ""


class KioskConfig(StrictModel):
    schema_version: Literal[1] = 1
    terminal: TerminalConfig
    devices: DevicesConfig = DevicesConfig()
    backoffice: BackofficeConfig = BackofficeConfig()
    outbox: OutboxConfig = OutboxConfig()
    face: FaceConfig = FaceConfig()
    technician: TechnicianConfig = TechnicianConfig()
    catalog_dir: str = "config/catalog"
    sites_dir: str = "config/sites"
    #: Public holidays and 调休 workdays by year: promised dates count working days.
    holidays_file: str = "config/holidays.yaml"


# --------------------------------------------------------------------------- site profile

class Branding(StrictModel):
    primary: HexColour = "#1F5FAF"
    accent: HexColour = "#E8A33D"
    background: HexColour = "#F4F6F9"
    logo_text: LText


class CatalogSubset(StrictModel):
    """Which items this site offers. Empty lists mean "everything"."""

    departments: list[str] = Field(default_factory=list)
    items: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list)


class IdleConfig(StrictModel):
    timeout_s: int = Field(default=120, ge=30)
    #: The countdown with "extend" appears this long before the end (WCAG 2.2.1: ≥ 20 s).
    warning_s: int = Field(default=30, ge=20)

    @pydantic.model_validator(mode="after")
    def _warning_before_timeout(self) -> IdleConfig:
        if self.warning_s >= self.timeout_s:
            raise ValueError("warning_s must be shorter than timeout_s")
        return self


class SiteWindow(StrictModel):
    """A service window the site has: 取号 offers it, and a window-only item is sent to it."""

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    name: LText
    #: The catalog departments whose items it handles (none: help with the kiosk only).
    departments: list[str] = Field(default_factory=list)


class SiteServices(StrictModel):
    """What the site itself offers besides the kiosk (a bank branch has no government
    windows; a township hall has one per department)."""

    #: The windows; unset: one window per department of the site's catalog.
    windows: list[SiteWindow] | None = None
    #: Where to go for what the site cannot do (name and address), said instead of "the
    #: window" by a site without government windows.
    nearest_hall: LText | None = None

    @pydantic.model_validator(mode="after")
    def _unique_windows(self) -> SiteServices:
        ids = [w.id for w in self.windows or ()]
        if len(ids) != len(set(ids)):
            raise ValueError("window ids must be unique")
        return self


class VoiceProfile(StrictModel):
    """Spoken prompts at this site (the text is always on screen as well). A bank branch
    may keep them off; 长辈版 turns them on for its session."""

    enabled: bool = True
    volume: float = Field(default=0.8, ge=0.0, le=1.0)
    #: speaking rate, 1.0 = espeak-ng's usual pace
    rate: float = Field(default=1.0, ge=0.5, le=2.0)
    elderly_enabled: bool = True
    elderly_rate: float = Field(default=0.85, ge=0.5, le=2.0)


class CentralSettings(StrictModel):
    """The parts of a site profile the back office manages (``GET /api/v1/sites/{id}/
    settings``, docs/fleet-control.md): the items offered, branding and idle timeouts.
    The rest of the profile (devices, orientation, languages, windows) stays local."""

    catalog: CatalogSubset
    branding: Branding
    idle: IdleConfig


class SiteProfile(StrictModel):
    schema_version: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z0-9-]+$")
    kind: Literal["township", "village", "bank"]
    name: LText
    branding: Branding
    catalog: CatalogSubset = CatalogSubset()
    # Strict mode would only take Presence instances; YAML gives its values ("required").
    devices: dict[DeviceKind, Annotated[Presence, pydantic.Strict(False)]]
    orientation: Literal["landscape", "portrait"] = "landscape"
    idle: IdleConfig = IdleConfig()
    languages: list[Language] = Field(default=["zh_CN", "en"], min_length=1)
    default_language: Language = "zh_CN"
    elderly_mode_default: bool = False
    services: SiteServices = SiteServices()
    voice: VoiceProfile = VoiceProfile()
    #: What the identity step offers: ``card`` always; ``code`` (亮码) needs the site's
    #: code scanner (``devices: codescanner``); items may refuse it (catalog identity_code).
    identity_methods: list[IdentityMethod] = Field(default=["card"], min_length=1)

    @pydantic.model_validator(mode="after")
    def _identity_methods(self) -> SiteProfile:
        if "card" not in self.identity_methods:
            raise ValueError("identity_methods must include card (the ID card reader)")
        if len(set(self.identity_methods)) != len(self.identity_methods):
            raise ValueError("identity_methods lists a method twice")
        if "code" in self.identity_methods and self.presence("codescanner") is Presence.ABSENT:
            raise ValueError("identity_methods code needs a code scanner: add "
                             "codescanner: optional (or required) under devices")
        return self

    @property
    def offers_code(self) -> bool:
        """亮码 is offered on the identity step (where the item allows it)."""
        return "code" in self.identity_methods

    @pydantic.model_validator(mode="after")
    def _default_language_offered(self) -> SiteProfile:
        if self.default_language not in self.languages:
            raise ValueError("default_language must be one of languages")
        return self

    @property
    def resolution(self) -> tuple[int, int]:
        return (1920, 1080) if self.orientation == "landscape" else (1080, 1920)

    def presence(self, kind: str) -> Presence:
        return next((p for k, p in self.devices.items() if k == kind), Presence.ABSENT)

    def central(self) -> CentralSettings:
        """The centrally managed part of this profile, as the back office seeds it."""
        return CentralSettings(catalog=self.catalog, branding=self.branding, idle=self.idle)

    def with_central(self, settings: CentralSettings) -> SiteProfile:
        """This profile with the back office's settings in place of its own."""
        return self.model_copy(update={"catalog": settings.catalog,
                                       "branding": settings.branding, "idle": settings.idle})


# --------------------------------------------------------------------------- loading

def is_loopback(host: str) -> bool:
    """``localhost``, 127.0.0.0/8 or ``::1``: a host that never leaves this machine."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def resolve(path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else ROOT / p


def load_config(path: Path | None = None, overlays: tuple[Path, ...] = ()) -> KioskConfig:
    """Load kiosk.yaml and any overlays (later ones win)."""
    base = path or ROOT / "config" / "kiosk.yaml"
    layers = [(str(p), read_yaml(p)) for p in (base, *overlays)]
    merged, origin = merge_layers(layers)
    return validate(KioskConfig, merged, file=str(base), origin=origin)


def load_site(config: KioskConfig, name: str | None = None) -> SiteProfile:
    """Load the site profile named in the config (or ``name``)."""
    site_name = name or config.terminal.site_profile
    path = resolve(config.sites_dir) / f"{site_name}.yaml"
    if not path.exists():
        available = sorted(p.stem for p in path.parent.glob("*.yaml"))
        raise ConfigError(str(path), "", f"no such site profile {site_name!r}; "
                          f"available: {', '.join(available) or 'none'}")
    data = read_yaml(path)
    site = validate(SiteProfile, data, file=str(path))
    if site.id != site_name:
        raise ConfigError(str(path), "id", f"must match the file name {site_name!r}")
    return site
