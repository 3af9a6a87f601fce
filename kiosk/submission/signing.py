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
                   body: bytes, now_unix: float, suite: str = DEFAULT_SUITE, *,
                   body_sha256: str | None = None) -> dict[str, str]:
    """The signing headers; ``body_sha256`` replaces the body's hash where the request
    signs something else in its place (a case bundle signs its manifest's hash)."""
    timestamp = str(int(now_unix))
    nonce = new_nonce()
    digest = body_sha256 or hashlib.sha256(body).hexdigest()
    return {
        "X-Terminal-Id": terminal_id,
        "X-Timestamp": timestamp,
        "X-Nonce": nonce,
        "X-Signature": sign_digest(secret, method, path_and_query, timestamp, nonce, digest,
                                   suite),
        CONTENT_SHA256_HEADER: digest,
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
# ---- a case and its pages in one request (API.md "Case bundles") -------------------------

#: Names the parts of a bundle: ``SHA256:SIZE`` of each part, in body order, joined by ",";
#: the first part is the case's JSON, the others its material blobs.
BUNDLE_HEADER = "X-Case-Bundle"
BUNDLE_CONTENT_TYPE = "application/x-case-bundle"
#: Parts one bundle may carry (the case and 64 blobs); a case with more uses separate uploads.
MAX_BUNDLE_PARTS = 65
_PART_RE = re.compile(r"^([0-9a-f]{64}):(0|[1-9][0-9]{0,9})$")


def bundle_manifest(parts: list[bytes], digests: list[str] | None = None) -> str:
    """The ``X-Case-Bundle`` value for these parts (the body is the parts back to back);
    ``digests``: their SHA-256, when the caller has them already."""
    if digests is None:
        digests = [hashlib.sha256(p).hexdigest() for p in parts]
    if len(digests) != len(parts):
        raise ValueError("one digest per part")
    return ",".join(f"{d}:{len(p)}" for d, p in zip(digests, parts, strict=True))


def bundle_digest(manifest: str) -> str:
    """What a bundle's signature covers in place of the body's hash: the SHA-256 of the
    manifest, which names every part's SHA-256 and size. The body itself is checked part
    by part against the manifest as it streams in."""
    return hashlib.sha256(manifest.encode("ascii")).hexdigest()


def parse_bundle_manifest(manifest: str) -> list[tuple[str, int]]:
    """``[(sha256, size), ...]``; ValueError when the value is not a manifest."""
    if not manifest.isascii():
        raise ValueError("the manifest is not ASCII")
    items = manifest.split(",")
    if len(items) > MAX_BUNDLE_PARTS:
        raise ValueError(f"a bundle has the case and at most {MAX_BUNDLE_PARTS - 1} blobs")
    parts = []
    for item in items:
        match = _PART_RE.match(item)
        if match is None:
            raise ValueError("each part is SHA256:SIZE (lowercase hex, decimal)")
        parts.append((match.group(1), int(match.group(2))))
    return parts
