"""Settings of one back-office process: a frozen value built once and passed in.

``Settings.from_env()`` reads the environment (``DATABASE_URL``,
``BACKOFFICE_DATA_DIR``, ``BACKOFFICE_CATALOG_DIR``,
``BACKOFFICE_SITES_DIR``, ``BACKOFFICE_FOLLOW_SEED=1``, ``BACKOFFICE_DOCS=1``,
``BACKOFFICE_MASTER_KEY_FILE``, ``BACKOFFICE_BLOB_DIR``, and the operations console's
``BACKOFFICE_ALERT_*``, ``BACKOFFICE_HEARTBEAT_KEEP_*``, ``BACKOFFICE_CONSOLE_*``,
``BACKOFFICE_METRICS_TOKEN``: see ``CONSOLE_ENV`` and docs/operations-console.md);
the CLI overrides from its flags; tests build one directly with a ``FakeClock``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from backoffice.alerts import Thresholds
from backoffice.heartbeats import Retention
from backoffice.timeouts import BODY_IDLE_TIMEOUT_S, BODY_TIMEOUT_S, HEADER_TIMEOUT_S
from kiosk.clock import Clock, SystemClock

REPO_ROOT = Path(__file__).resolve().parent.parent

#: Limits from backoffice/API.md.
MAX_MATERIAL_BYTES = 10 * 1024 * 1024
MAX_CASE_BYTES = 1024 * 1024
#: A terminal's diagnostic bundle (logs, diagnostics, configuration without secrets).
MAX_DIAGNOSTIC_BUNDLE_BYTES = 20 * 1024 * 1024
#: A case bundle (POST /api/v1/case-bundles): the case and its blobs together.
MAX_BUNDLE_BYTES = 64 * 1024 * 1024
#: Signature timestamps further than this from the server's clock are refused (API.md).
MAX_SKEW_S = 300
#: An applicant listing needs a verification at most this old (API.md).
VERIFICATION_MAX_AGE_S = 600


#: Environment variable -> (Settings field, type) for the operations console.
def _names(value: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in value.split(",") if p.strip())


def _flag(value: str) -> bool:
    return value == "1"


CONSOLE_ENV: dict[str, tuple[str, Callable[[str], object]]] = {
    "BACKOFFICE_HEARTBEAT_KEEP_DAYS": ("heartbeat_keep_days", float),
    "BACKOFFICE_HEARTBEAT_KEEP_ROWS": ("heartbeat_keep_rows", int),
    "BACKOFFICE_ALERT_INTERVAL_S": ("alert_interval_s", float),
    "BACKOFFICE_ALERT_OFFLINE_BEATS": ("alert_offline_beats", int),
    "BACKOFFICE_ALERT_OUTBOX_BACKLOG": ("alert_outbox_backlog", int),
    "BACKOFFICE_ALERT_CLOCK_SKEW_S": ("alert_clock_skew_s", float),
    "BACKOFFICE_ALERT_REQUIRED_DEVICES": ("alert_required_devices", _names),
    "BACKOFFICE_CONSOLE_IDLE_S": ("console_idle_s", float),
    "BACKOFFICE_METRICS_TOKEN": ("metrics_token", str),
    "BACKOFFICE_CONSOLE_SECURE": ("console_secure", _flag),
}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str = ""
    #: The seed: the catalog and site profiles stored as version 1 on a database that
    #: has none (backoffice/fleet.py); later versions come from ``catalog publish``.
    catalog_dir: Path = REPO_ROOT / "config" / "catalog"
    sites_dir: Path = REPO_ROOT / "config" / "sites"
    #: Development (the simulated terminal): publish the seed directories again at
    #: every start when they changed, so edits of config/catalog reach the kiosk.
    follow_seed: bool = False
    clock: Clock = field(default_factory=SystemClock)
    max_skew_s: int = MAX_SKEW_S
    max_material_bytes: int = MAX_MATERIAL_BYTES
    max_case_bytes: int = MAX_CASE_BYTES
    max_bundle_bytes: int = MAX_BUNDLE_BYTES
    max_diagnostic_bundle_bytes: int = MAX_DIAGNOSTIC_BUNDLE_BYTES
    #: Serve /docs, /redoc and /openapi.json (development only; the committed
    #: backoffice/openapi.json is the contract).
    docs: bool = False
    #: Bounds on a slow client (backoffice/timeouts.py).
    header_timeout_s: float = HEADER_TIMEOUT_S
    body_idle_timeout_s: float = BODY_IDLE_TIMEOUT_S
    body_timeout_s: float = BODY_TIMEOUT_S

    #: Seals the terminals' secrets (backoffice/keystore.py); default: in the data dir.
    master_key_file: Path | None = None
    #: Where material blobs live; default: ``blobs/`` in the data dir. Servers on several
    #: machines serving one database need one shared directory here (docs/performance.md).
    blob_root: Path | None = None

    #: Heartbeat history kept (backoffice/heartbeats.py).
    heartbeat_keep_days: float = 7.0
    heartbeat_keep_rows: int = 2000
    #: Alert thresholds (backoffice/alerts.py).
    alert_interval_s: float = 60.0
    alert_offline_beats: int = 3
    alert_outbox_backlog: int = 20
    alert_clock_skew_s: float = 60.0
    alert_required_devices: tuple[str, ...] = ("printer", "idcard")
    #: A console session ends after this long without a request, and 12 h after login.
    console_idle_s: float = 1800.0
    console_max_s: float = 12 * 3600.0
    #: Console cookies ``Secure`` even when the request arrived over plain HTTP (a TLS
    #: proxy in front: uvicorn here does not trust forwarded headers).
    console_secure: bool = False
    #: ``/metrics`` wants ``Authorization: Bearer <this>``; empty: loopback clients only.
    metrics_token: str = ""

    @property
    def retention(self) -> Retention:
        return Retention(days=self.heartbeat_keep_days, rows=self.heartbeat_keep_rows)

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(heartbeat_interval_s=self.alert_interval_s,
                          offline_beats=self.alert_offline_beats,
                          outbox_backlog=self.alert_outbox_backlog,
                          clock_skew_s=self.alert_clock_skew_s,
                          required_devices=self.alert_required_devices)

    def console_env(self) -> dict[str, str]:
        """The console's settings as the environment variables ``from_env`` reads."""
        out = {}
        for var, (name, _kind) in CONSOLE_ENV.items():
            value = getattr(self, name)
            out[var] = (",".join(value) if isinstance(value, tuple) else
                        ("1" if value else "") if isinstance(value, bool) else str(value))
        return out

    @property
    def master_key_path(self) -> Path:
        return self.master_key_file or self.data_dir / "master.key"

    @property
    def blob_dir(self) -> Path:
        return self.blob_root or self.data_dir / "blobs"

    @property
    def bundle_dir(self) -> Path:
        """Terminals' diagnostic bundles: a blob store of its own, never a material."""
        return self.data_dir / "bundles"

    @property
    def effective_database_url(self) -> str:
        """The configured URL, or a SQLite file in the data directory."""
        return self.database_url or sqlite_url(self.data_dir / "backoffice.sqlite3")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ) if env is None else env
        values: dict[str, object] = {
            "data_dir": Path(env.get("BACKOFFICE_DATA_DIR") or REPO_ROOT / "var" / "backoffice"),
            "database_url": env.get("DATABASE_URL", ""),
            "docs": env.get("BACKOFFICE_DOCS", "") == "1",
            "follow_seed": env.get("BACKOFFICE_FOLLOW_SEED", "") == "1",
        }
        if env.get("BACKOFFICE_MASTER_KEY_FILE"):
            values["master_key_file"] = Path(env["BACKOFFICE_MASTER_KEY_FILE"])
        if env.get("BACKOFFICE_BLOB_DIR"):
            values["blob_root"] = Path(env["BACKOFFICE_BLOB_DIR"])
        if env.get("BACKOFFICE_CATALOG_DIR"):
            values["catalog_dir"] = Path(env["BACKOFFICE_CATALOG_DIR"])
        if env.get("BACKOFFICE_SITES_DIR"):
            values["sites_dir"] = Path(env["BACKOFFICE_SITES_DIR"])
        for var, (name, kind) in CONSOLE_ENV.items():
            if env.get(var):
                values[name] = kind(env[var])
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
