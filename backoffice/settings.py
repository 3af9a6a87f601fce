"""Settings of one back-office process: a frozen value built once and passed in.

``Settings.from_env()`` reads the environment (``DATABASE_URL``,
``BACKOFFICE_DATA_DIR``, ``BACKOFFICE_CATALOG_DIR``,
``BACKOFFICE_SITES_DIR``, ``BACKOFFICE_FOLLOW_SEED=1``, ``BACKOFFICE_DOCS=1``,
``BACKOFFICE_MASTER_KEY_FILE``, ``BACKOFFICE_BLOB_DIR``);
the CLI overrides from its flags; tests build one directly with a ``FakeClock``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

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
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
