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
import json
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


# ---- remote commands (backoffice/commands.py → kiosk/fleet/commands.py) -------------
#: First line of a command's canonical form: never the first line of a request's
#: (an HTTP method), so one signature can never stand for the other.
COMMAND_DOMAIN = "kiosk-command/1"


def canonical_json(value: object) -> bytes:
    """The one JSON spelling both sides hash: sorted keys, no spaces, UTF-8."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False,
                      separators=(",", ":")).encode("utf-8")


def command_canonical(terminal_id: str, command_id: str, kind: str, args: object,
                      issued_at: str) -> bytes:
    """Canonical form of a command: the domain line, the terminal it is for, its id,
    kind, the time the server issued it (as the text it sends) and the SHA-256 of the
    canonical JSON of its arguments, joined by newlines."""
    args_hash = hashlib.sha256(canonical_json(args)).hexdigest()
    return "\n".join((COMMAND_DOMAIN, terminal_id, command_id, kind, issued_at,
                      args_hash)).encode("utf-8")


def sign_command(secret: bytes, terminal_id: str, command_id: str, kind: str, args: object,
                 issued_at: str, suite: str = DEFAULT_SUITE) -> str:
    msg = command_canonical(terminal_id, command_id, kind, args, issued_at)
    return hmac.new(secret, msg, SUITES[suite]).hexdigest()


def verify_command(secret: bytes, signature: str, terminal_id: str, command_id: str,
                   kind: str, args: object, issued_at: str,
                   suite: str = DEFAULT_SUITE) -> bool:
    expected = sign_command(secret, terminal_id, command_id, kind, args, issued_at, suite)
    return hmac.compare_digest(expected, signature.lower())
