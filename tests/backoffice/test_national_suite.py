"""The national suite for request signing: HMAC-SM3, chosen per terminal at registration."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backoffice import staffops
from backoffice.server import BackgroundServer
from backoffice.settings import REPO_ROOT, Settings
from kiosk.clock import FakeClock
from kiosk.errors import AuthError
from kiosk.submission.client import BackofficeClient
from tests.backoffice.testing import TerminalClient


@pytest.mark.parametrize(("message", "digest"), [
    # GB/T 32905-2016 appendix A, examples 1 and 2.
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
])
def test_sm3_gives_the_standards_test_vectors(message: bytes, digest: str) -> None:
    assert hashlib.new("sm3", message).hexdigest() == digest
    assert hmac.new(b"k", message, "sm3").hexdigest() != hmac.new(b"k", message,
                                                                  "sha256").hexdigest()


def test_hmac_sm3_signatures_are_hmac_over_sm3() -> None:
    """The request signature on the national suite, computed by hand from the canonical
    string (HMAC, RFC 2104, over SM3): not some other hash under the suite's name."""
    from kiosk.submission import signing

    secret, body = b"\x11" * 32, b'{"a":1}'
    args = ("POST", "/api/v1/cases", "1764000000", "n" * 22)
    canonical = signing.canonical_string(*args, body)
    by_hand = hmac.new(secret, canonical, lambda: hashlib.new("sm3")).hexdigest()
    assert signing.sign(secret, *args, body, "hmac-sm3") == by_hand
    assert signing.sign_digest(secret, *args, hashlib.sha256(body).hexdigest(),
                               "hmac-sm3") == by_hand


def _terminal(client: TestClient, clock: FakeClock, terminal_id: str, *, registered: str,
              signs: str) -> TerminalClient:
    secret = secrets.token_bytes(32)
    staffops.register_terminal(client.app.state.sessions, terminal_id, secret.hex(),  # type: ignore[attr-defined]
                               clock.now(), client.app.state.secret_box,  # type: ignore[attr-defined]
                               suite=registered)
    return TerminalClient(client, terminal_id, secret, clock, suite=signs)


@pytest.mark.parametrize(("registered", "signs", "status"), [
    ("hmac-sm3", "hmac-sm3", 200), ("hmac-sm3", "hmac-sha256", 401),
    ("hmac-sha256", "hmac-sm3", 401), ("hmac-sha256", "hmac-sha256", 200),
])
def test_the_server_verifies_the_suite_the_terminal_was_registered_with(
        client: TestClient, clock: FakeClock, registered: str, signs: str, status: int) -> None:
    terminal = _terminal(client, clock, "XS-SM-0001", registered=registered, signs=signs)
    assert terminal.request("GET", "/api/v1/catalog").status_code == status


def test_a_kiosk_configured_for_sm3_talks_to_a_terminal_registered_for_it(
        tmp_path: Path) -> None:
    clock = FakeClock()
    settings = Settings(data_dir=tmp_path / "bo", catalog_dir=REPO_ROOT / "config" / "catalog",
                        clock=clock)
    secret = secrets.token_bytes(32)
    with BackgroundServer(settings) as server:
        staffops.register_terminal(server.app.state.sessions, "XS-SM-0002", secret.hex(),
                                   clock.now(), server.app.state.secret_box, suite="hmac-sm3")
        sm3 = BackofficeClient(server.url, "XS-SM-0002", secret, clock=clock, suite="hmac-sm3")
        plain = BackofficeClient(server.url, "XS-SM-0002", secret, clock=clock)
        try:
            assert sm3.material_exists("0" * 64) is False  # signed HEAD accepted: 404
            assert sm3.heartbeat({"printer": {"state": "ready", "media": None,
                                              "reason": None}}) is not None
            with pytest.raises(AuthError):
                plain.material_exists("0" * 64)
        finally:
            sm3.close()
            plain.close()
