"""AES-256-GCM sealing of outbox records and the key's life cycle (kiosk/submission/crypto.py)."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.errors import OutboxKeyError
from kiosk.submission.crypto import (
    ENV_KEY,
    Sealer,
    check_private_file,
    create_key,
    load_key,
    outbox_key,
)

KEY = bytes(range(32))


def test_seal_open_round_trip_and_nonce_freshness() -> None:
    s = Sealer(KEY)
    a, b = s.seal(b"scan", "blob:ab"), s.seal(b"scan", "blob:ab")
    assert a != b  # fresh nonce each time
    assert s.open(a, "blob:ab") == b"scan" == s.open(b, "blob:ab")
    assert b"scan" not in a


def test_ciphertext_bound_to_its_row() -> None:
    s = Sealer(KEY)
    sealed = s.seal(b"citizen A", "case:XD-1")
    with pytest.raises(OutboxKeyError, match="moved"):
        s.open(sealed, "case:XD-2")


def test_wrong_key_is_a_clear_error() -> None:
    sealed = Sealer(KEY).seal(b"x", "case:1")
    with pytest.raises(OutboxKeyError, match="wrong outbox key"):
        Sealer(bytes(32)).open(sealed, "case:1")


def test_tampering_detected() -> None:
    s = Sealer(KEY)
    sealed = bytearray(s.seal(b"hello", "r"))
    sealed[-1] ^= 1
    with pytest.raises(OutboxKeyError):
        s.open(bytes(sealed), "r")
    with pytest.raises(OutboxKeyError):
        s.open(b"\x02" + bytes(40), "r")
    with pytest.raises(OutboxKeyError):
        Sealer(b"short")


@given(st.binary(max_size=80))
def test_open_of_garbage_only_raises_key_error(data: bytes) -> None:
    with pytest.raises(OutboxKeyError):
        Sealer(KEY).open(data, "r")


def test_create_key_is_private_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "secrets" / "outbox.key"
    key = create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_key(path, {}) == key
    with pytest.raises(OutboxKeyError, match="already exists"):
        create_key(path)
    assert load_key(path, {}) == key


def test_readable_key_file_refused(tmp_path: Path) -> None:
    path = tmp_path / "outbox.key"
    create_key(path)
    path.chmod(0o644)
    with pytest.raises(OutboxKeyError, match="chmod 600"):
        load_key(path, {})
    with pytest.raises(OutboxKeyError, match="not a regular file"):
        check_private_file(tmp_path)


def test_environment_wins_and_is_checked(tmp_path: Path) -> None:
    env = {ENV_KEY: base64.b64encode(KEY).decode()}
    assert load_key(tmp_path / "none", env) == KEY
    with pytest.raises(OutboxKeyError, match="need 32"):
        load_key(tmp_path / "none", {ENV_KEY: base64.b64encode(b"x" * 16).decode()})
    with pytest.raises(OutboxKeyError, match="base64"):
        load_key(tmp_path / "none", {ENV_KEY: "%%%"})


def test_bad_key_file_contents(tmp_path: Path) -> None:
    path = tmp_path / "k"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, b"\xff\xfe")
    os.close(fd)
    with pytest.raises(OutboxKeyError):
        load_key(path, {})


def test_outbox_key_life_cycle(tmp_path: Path) -> None:
    key_file, db = tmp_path / "outbox.key", tmp_path / "outbox.sqlite3"
    with pytest.raises(OutboxKeyError, match="no outbox key"):
        outbox_key(key_file, db, {})
    key = outbox_key(key_file, db, {}, create=True)
    assert outbox_key(key_file, db, {}) == key
    db.write_bytes(b"")  # an outbox now exists
    key_file.unlink()
    with pytest.raises(OutboxKeyError, match="key is missing"):
        outbox_key(key_file, db, {}, create=True)
    assert not key_file.exists()
