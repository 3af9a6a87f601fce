"""The national suite for the outbox: SM4-GCM sealing, checked against GB/T 32907."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.clock import FakeClock
from kiosk.errors import OutboxKeyError
from kiosk.submission.crypto import AES_KEYED, SM4_KEYED, Sealer
from kiosk.submission.outbox import Outbox
from kiosk.submission.outbox_schema import CaseState
from tests.kiosk.case_factory import make_case

KEY = bytes(range(32))


def test_sm4_gives_the_standards_example() -> None:
    # GB/T 32907-2016 appendix A, example 1: one block, key = plaintext.
    block = bytes.fromhex("0123456789abcdeffedcba9876543210")
    enc = Cipher(algorithms.SM4(block), modes.ECB()).encryptor()
    assert (enc.update(block) + enc.finalize()).hex() == "681edf34d206965e86b3e94f536e4246"


@settings(max_examples=30, deadline=None)
@given(data=st.binary(max_size=2000), bound=st.text(max_size=20))
def test_sm4_gcm_round_trip_bound_to_its_row(data: bytes, bound: str) -> None:
    sealer = Sealer(KEY, "sm4-gcm")
    sealed = sealer.seal(data, bound)
    assert sealed[:1] == SM4_KEYED
    assert sealer.open(sealed, bound) == data
    with pytest.raises(OutboxKeyError):
        sealer.open(sealed, bound + "x")
    tampered = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(OutboxKeyError):
        sealer.open(tampered, bound)


def test_a_sealed_record_is_sm4_gcm_under_the_hmac_sm3_derived_key() -> None:
    """Read back by hand, from the documented layout, with nothing of the kiosk's code: a
    record sealed on the national suite is SM4-GCM (not a look-alike 128-bit cipher) under
    the key HMAC-SM3(outbox key, "kiosk outbox sm4-gcm"), bound to its row."""
    import hmac

    sealed = Sealer(KEY, "sm4-gcm").seal(b"case body", "XD-261122-0001-X")
    head, nonce, body = sealed[:5], sealed[5:17], sealed[17:]
    assert head[:1] == SM4_KEYED
    sm4_key = hmac.new(KEY, b"kiosk outbox sm4-gcm", "sm3").digest()[:16]
    dec = Cipher(algorithms.SM4(sm4_key), modes.GCM(nonce, body[-16:])).decryptor()
    dec.authenticate_additional_data(head + b"XD-261122-0001-X")
    assert dec.update(body[:-16]) + dec.finalize() == b"case body"


def test_switching_suites_keeps_the_queue(tmp_path: Path) -> None:
    """Cases sealed with AES-256-GCM still open after the terminal moves to SM4-GCM."""
    clock = FakeClock()
    with Outbox(tmp_path / "o.sqlite3", Sealer(KEY), ref_prefix="XD", clock=clock) as outbox:
        old = outbox.enqueue(make_case("old"))
    with Outbox(tmp_path / "o.sqlite3", Sealer(KEY, "sm4-gcm"), ref_prefix="XD",
                clock=clock) as outbox:
        new = outbox.enqueue(make_case("new"))
        first, second = outbox.claim_next(), outbox.claim_next()
        assert first is not None and second is not None
        assert (first.kiosk_ref, second.kiosk_ref) == (old, new)
        assert outbox.read_blob(first.blobs[0].sha256)
        assert outbox.record(new).state is CaseState.SENDING  # type: ignore[union-attr]
    with contextlib.closing(sqlite3.connect(tmp_path / "o.sqlite3")) as conn:  # stored bytes
        rows = conn.execute("SELECT ref, payload FROM cases ORDER BY id").fetchall()
    assert [(ref, bytes(p[:1])) for ref, p in rows] == [(old, AES_KEYED), (new, SM4_KEYED)]
