"""Request signing shared by the kiosk client and the back office.

See backoffice/API.md: the canonical string is METHOD, PATH?QUERY, TIMESTAMP,
NONCE and the SHA-256 of the body, joined by newlines, signed with an HMAC
under the terminal's secret. The HMAC's hash is the terminal's suite, chosen
when it is registered: SHA-256, or SM3 (GB/T 32905, the national hash that
GB/T 39786 assessments expect; OpenSSL 3 provides it).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

MAX_SKEW_S = 300
#: Signing suites: the HMAC's hash. SM3 through OpenSSL (hashlib.new("sm3")).
SUITES = {"hmac-sha256": "sha256", "hmac-sm3": "sm3"}
DEFAULT_SUITE = "hmac-sha256"
NONCE_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
#: Declares the body's SHA-256 so the server can check the signature before reading it.
CONTENT_SHA256_HEADER = "X-Content-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
#: Carries the receipt's query token (``query_token``) on ``GET /cases/{key}``.
CASE_TOKEN_HEADER = "X-Case-Token"
QUERY_TOKEN_LENGTH = 22


def canonical_string(method: str, path_and_query: str, timestamp: str, nonce: str,
                     body: bytes) -> bytes:
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join((method.upper(), path_and_query, timestamp, nonce, body_hash)).encode()


def sign(secret: bytes, method: str, path_and_query: str, timestamp: str, nonce: str,
         body: bytes, suite: str = DEFAULT_SUITE) -> str:
    msg = canonical_string(method, path_and_query, timestamp, nonce, body)
    return hmac.new(secret, msg, SUITES[suite]).hexdigest()


def sign_digest(secret: bytes, method: str, path_and_query: str, timestamp: str, nonce: str,
                body_sha256: str, suite: str = DEFAULT_SUITE) -> str:
    """As :func:`sign`, from the body's hex SHA-256 (a body that is not in memory)."""
    msg = "\n".join((method.upper(), path_and_query, timestamp, nonce, body_sha256)).encode()
    return hmac.new(secret, msg, SUITES[suite]).hexdigest()


def verify(secret: bytes, signature: str, method: str, path_and_query: str, timestamp: str,
           nonce: str, body: bytes, suite: str = DEFAULT_SUITE) -> bool:
    expected = sign(secret, method, path_and_query, timestamp, nonce, body, suite)
    return hmac.compare_digest(expected, signature.lower())


def query_token(secret: bytes, kiosk_ref: str) -> str:
    """The unguessable token a receipt's QR carries beside the reference (API.md
    "Case status"): 22 base64url characters of an HMAC under the issuing
    terminal's secret, so the back office can check it without storing it."""
    mac = hmac.new(secret, b"case-query\n" + kiosk_ref.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode()[:QUERY_TOKEN_LENGTH]


def new_nonce() -> str:
    return secrets.token_urlsafe(18)


def signed_headers(secret: bytes, terminal_id: str, method: str, path_and_query: str,
                   body: bytes, now_unix: float, suite: str = DEFAULT_SUITE
                   ) -> dict[str, str]:
    timestamp = str(int(now_unix))
    nonce = new_nonce()
    return {
        "X-Terminal-Id": terminal_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sign(secret, method, path_and_query, timestamp, nonce, body, suite),
        CONTENT_SHA256_HEADER: hashlib.sha256(body).hexdigest(),
    }
