"""A kiosk never mints references from the example prefix; simulated terminals get their own."""

from __future__ import annotations

import random
import secrets
from pathlib import Path

import pytest

from backoffice import staffops
from backoffice.server import BackgroundServer
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import FakeClock
from kiosk.config.model import BackofficeConfig, KioskConfig, OutboxConfig, load_config
from kiosk.errors import ConfigError
from kiosk.submission.outbox_schema import CaseState
from kiosk.submission.reference import EXAMPLE_PREFIX, parse_reference, simulated_prefix
from kiosk.submission.sender import build_submission
from tests.kiosk.case_factory import CREATED, make_case


def _terminal_config(tmp: Path, terminal_id: str, url: str, secret: bytes) -> KioskConfig:
    """The default configuration (config/kiosk.yaml), with only what a site must set."""
    base = load_config()
    key = tmp / terminal_id / "terminal.key"
    key.parent.mkdir(parents=True)
    key.write_text(secret.hex())
    key.chmod(0o600)
    return base.model_copy(update={
        "terminal": base.terminal.model_copy(update={"id": terminal_id}),
        "backoffice": BackofficeConfig(url=url, secret_file=str(key)),
        "outbox": OutboxConfig(path=str(tmp / terminal_id / "outbox.sqlite3"),
                               key_file=str(tmp / terminal_id / "outbox.key"))})


def test_two_terminals_started_from_the_default_configuration_never_refuse_each_other(
        tmp_path: Path) -> None:
    clock = FakeClock(CREATED)
    settings = Settings(data_dir=tmp_path / "bo", catalog_dir=REPO_ROOT / "config" / "catalog",
                        clock=clock)
    with BackgroundServer(settings) as server:
        delivered = []
        for terminal_id in ("XS-TWO-0001", "XS-TWO-0002"):
            secret = secrets.token_bytes(32)
            config = _terminal_config(tmp_path, terminal_id, server.url, secret)
            assert config.terminal.ref_prefix == EXAMPLE_PREFIX
            # A real terminal left at the example prefix does not start...
            with pytest.raises(ConfigError, match=r"terminal\.ref_prefix"):
                build_submission(config, clock=clock, rng=random.Random(1), environ={},
                                 create_key=True)
            # ...and the simulated environment gives each terminal its own, registered.
            prefix = simulated_prefix(terminal_id)
            staffops.register_terminal(server.app.state.sessions, terminal_id, secret.hex(),
                                       clock.now(), server.app.state.secret_box, prefix=prefix)
            simulated = config.model_copy(update={"terminal": config.terminal.model_copy(
                update={"ref_prefix": prefix, "simulated": True})})
            sub = build_submission(simulated, clock=clock, rng=random.Random(1), environ={},
                                   create_key=True)
            try:
                ref = sub.outbox.enqueue(make_case(terminal_id, terminal_id=terminal_id))
                assert parse_reference(ref).seq == 1  # both mint their first of the day
                assert sub.sender.drain_once()
                record = sub.outbox.record(ref)
                assert record is not None and record.state is CaseState.DELIVERED, record
                delivered.append(record.case_number)
            finally:
                sub.close()
        assert len(set(delivered)) == 2


def test_simulated_prefixes_are_never_the_example_and_differ_per_terminal() -> None:
    prefixes = {simulated_prefix(f"XS-SIM-{n:04d}") for n in range(200)}
    assert EXAMPLE_PREFIX not in prefixes
    assert len(prefixes) == 200
