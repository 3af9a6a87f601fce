"""Rotating the outbox key under both ciphers: records sealed before the rotation (and
before rotation existed) keep opening; ``reseal`` moves them to the current key; after
``retire`` the old key is gone and nothing was lost. Through ``python -m kiosk.cli
outbox-key`` as a technician runs it."""

from __future__ import annotations

import base64
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.clock import FakeClock
from kiosk.errors import OutboxKeyError
from kiosk.submission.crypto import (
    KEY_ID_BYTES,
    Sealer,
    create_key,
    key_id,
    load_keys,
    retire_keys,
    rotate_key,
)
from kiosk.submission.outbox import Outbox
from tests.kiosk.case_factory import make_case

ROOT = Path(__file__).resolve().parents[3]
OLD, NEW = bytes(range(32)), bytes(range(1, 33))


def legacy_seal(key: bytes, data: bytes, bound_to: str) -> bytes:
    """A record as kiosks before key rotation sealed it: version 1, no key id."""
    nonce = os.urandom(12)
    return b"\x01" + nonce + AESGCM(key).encrypt(nonce, data, b"\x01" + bound_to.encode())


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "sm4-gcm"])
def test_old_key_opens_what_it_sealed_and_new_records_use_the_new_key(cipher: str) -> None:
    before = Sealer(OLD, cipher).seal(b"scan", "blob:1")
    rotated = Sealer([NEW, OLD], cipher)
    assert rotated.open(before, "blob:1") == b"scan"
    after = rotated.seal(b"form", "case:1")
    assert after[1:1 + KEY_ID_BYTES] == key_id(NEW) and rotated.sealed_with_current(after)
    assert not rotated.sealed_with_current(before)
    with pytest.raises(OutboxKeyError, match="wrong outbox key"):
        Sealer(OLD, cipher).open(after, "case:1")  # the old key alone cannot read it


def test_records_from_before_rotation_existed_open_with_any_listed_key() -> None:
    sealed = legacy_seal(OLD, b"body", "case:XD-1")
    assert Sealer([NEW, OLD]).open(sealed, "case:XD-1") == b"body"
    with pytest.raises(OutboxKeyError, match="wrong outbox key"):
        Sealer(NEW).open(sealed, "case:XD-1")


def test_rotate_then_retire_in_the_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "outbox.key"
    first = create_key(key_file)
    second = rotate_key(key_file, {})
    assert load_keys(key_file, {}) == [second, first]
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert not list(key_file.parent.glob("*.new"))
    assert retire_keys(key_file, {}) == 1
    assert load_keys(key_file, {}) == [second]
    env = {"KIOSK_OUTBOX_KEY": base64.b64encode(first).decode()}
    with pytest.raises(OutboxKeyError, match="KIOSK_OUTBOX_KEY"):
        rotate_key(key_file, env)


def test_a_key_listed_twice_is_refused(tmp_path: Path) -> None:
    text = base64.b64encode(OLD).decode()
    with pytest.raises(OutboxKeyError, match="twice"):
        load_keys(tmp_path / "x", {"KIOSK_OUTBOX_KEY": f"{text},{text}"})


def claim_all(outbox: Outbox) -> dict[str, bytes]:
    """Every pending case's body, its pages read back (claimed: a reopen puts them back)."""
    bodies = {}
    while (item := outbox.claim_next()) is not None:
        bodies[item.kiosk_ref] = item.body
        for blob in item.blobs:
            assert outbox.read_blob(blob.sha256)
    return bodies


@pytest.mark.parametrize("cipher", ["aes-256-gcm", "sm4-gcm"])
def test_reseal_moves_every_record_to_the_current_key(tmp_path: Path, cipher: str) -> None:
    db, clock = tmp_path / "o.sqlite3", FakeClock()
    with Outbox(db, Sealer(OLD, cipher), ref_prefix="XD", clock=clock) as outbox:
        refs = [outbox.enqueue(make_case(f"c{i}")) for i in range(3)]
        bodies = claim_all(outbox)
    # One record as a kiosk before rotation wrote it.
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("UPDATE cases SET payload=? WHERE ref=?",
                     (legacy_seal(OLD, b"{}", f"case:{refs[2]}"), refs[2]))
        blobs = conn.execute("SELECT COUNT(*) FROM blobs").fetchone()[0]
    bodies[refs[2]] = b"{}"
    with Outbox(db, Sealer([NEW, OLD], cipher), ref_prefix="XD", clock=clock) as outbox:
        assert outbox.reseal(batch=2) == 3 + blobs + 1  # bodies, pages, the key check
        assert outbox.reseal() == 0  # nothing left
    with Outbox(db, Sealer(NEW, cipher), ref_prefix="XD", clock=clock) as outbox:
        assert claim_all(outbox) == bodies


def test_technician_rotates_and_retires_with_the_cli(tmp_path: Path) -> None:
    overlay = tmp_path / "local.yaml"
    overlay.write_text(f"outbox:\n  path: {tmp_path / 'o.sqlite3'}\n"
                       f"  key_file: {tmp_path / 'outbox.key'}\n", encoding="utf-8")
    first = create_key(tmp_path / "outbox.key")
    with Outbox(tmp_path / "o.sqlite3", Sealer(first), ref_prefix="XD",
                clock=FakeClock()) as outbox:
        ref = outbox.enqueue(make_case("kept"))

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "KIOSK_OUTBOX_KEY"}
        return subprocess.run([sys.executable, "-m", "kiosk.cli", "outbox-key", *args,
                               "--overlay", str(overlay)], cwd=ROOT, capture_output=True,
                              text=True, timeout=120, env={**env, "PYTHONPATH": str(ROOT)})

    done = cli("rotate")
    assert done.returncode == 0 and "1 older key(s) kept" in done.stdout, done.stderr
    # The kiosk running: retire is refused, nothing changes.
    with Outbox(tmp_path / "o.sqlite3", Sealer(load_keys(tmp_path / "outbox.key", {}) or []),
                ref_prefix="XD", clock=FakeClock()):
        busy = cli("retire")
    assert busy.returncode == 1 and "in use" in busy.stderr
    assert len(load_keys(tmp_path / "outbox.key", {}) or []) == 2
    done = cli("retire")
    assert done.returncode == 0 and "1 old key(s) removed" in done.stdout, done.stderr
    keys = load_keys(tmp_path / "outbox.key", {}) or []
    assert len(keys) == 1 and keys[0] != first
    with Outbox(tmp_path / "o.sqlite3", Sealer(keys), ref_prefix="XD",
                clock=FakeClock()) as outbox:
        assert list(claim_all(outbox)) == [ref]
