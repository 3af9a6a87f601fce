"""亮码: identity codes, as the provincial platform issues and resolves them.

A citizen opens the electronic social security card or the 浙里办 identity code on
their phone; the platform (which verified them when they logged in) shows a QR code
that stands for their identity for a short while. The kiosk reads it with its code
scanner and asks the back office, playing the platform here, who it stands for.

* **Unguessable.** ``ZJID1.`` + 32 characters of base64url: 192 random bits from
  :mod:`secrets`.
* **Short-lived.** :data:`DEFAULT_TTL_S` (90 s), at most :data:`MAX_TTL_S`, on the
  injected clock.
* **Single use.** Resolving marks the code used in the same transaction that reads
  it (the row locked): a second presentation, from any terminal, is ``code_used``.
* **Stored hashed.** Only the SHA-256 of the code is kept, as the row's key; the
  identity it stands for is sealed with the server's master key (AES-256-GCM, bound
  to that hash) and erased once the code is used or expired; the row itself goes a
  day after expiry (:data:`KEEP`), so a late second presentation still hears
  ``code_used`` or ``code_expired`` rather than ``code_unknown``.
* **Not enumerable.** Any text is hashed and looked up by its hash (a primary-key
  read): how long an answer takes depends on whether the presented code exists,
  never on how close a guess came, and nothing compares code text character by
  character. A hash of 192 random bits cannot be reversed, so no key is needed for
  it. The route (backoffice/routes/identity.py) rate-limits per terminal, and
  ``code_unknown`` answers more tightly still.

:func:`issue` is what ``scripts/backoffice identity-code issue`` and the simulated
terminal call (tests and demos: the real platform issues the real codes).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

from backoffice import audit
from backoffice.db import transaction
from backoffice.errors import ApiError
from backoffice.keystore import SecretBox
from backoffice.models import IdentityCode
from backoffice.schemas import CodeIdentity, IdentityResolved
from kiosk.privacy import mask_id

PREFIX = "ZJID1."
#: Random bytes per code (192 bits; the brief asks for at least 128).
RANDOM_BYTES = 24
DEFAULT_TTL_S = 90
MAX_TTL_S = 120
#: Rows (hash and outcome, no identity) are kept this long after expiry.
KEEP = timedelta(days=1)
#: The document photo a code may carry (a card photo is 10-40 KB).
MAX_PHOTO_BYTES = 256 * 1024


@dataclass(frozen=True)
class IssuedCode:
    code: str
    issued_at: datetime
    expires_at: datetime

    def __repr__(self) -> str:  # the code is a bearer credential: never in a log
        return f"IssuedCode(expires_at={self.expires_at.isoformat()})"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


def _aad(digest: str) -> str:
    return f"identity-code:{digest}"


def birth_from_id(id_number: str) -> date | None:
    """Characters 7-14 of an 18-character ID number, when they are a date."""
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def issue(factory: sessionmaker[Session], box: SecretBox, identity: CodeIdentity,
          now: datetime, *, ttl_s: int = DEFAULT_TTL_S,
          photo_jpeg: bytes | None = None) -> IssuedCode:
    """A new code for ``identity``, valid ``ttl_s`` seconds from ``now`` (1..MAX_TTL_S)."""
    if not 1 <= ttl_s <= MAX_TTL_S:
        raise ValueError(f"ttl_s must be 1..{MAX_TTL_S} seconds")
    if photo_jpeg is not None and (len(photo_jpeg) > MAX_PHOTO_BYTES
                                   or not photo_jpeg.startswith(b"\xff\xd8")):
        raise ValueError(f"the photo must be a JPEG of at most {MAX_PHOTO_BYTES} bytes")
    if identity.birth is None and len(identity.id_number) == 18:
        identity = identity.model_copy(update={"birth": birth_from_id(identity.id_number)})
    code = PREFIX + secrets.token_urlsafe(RANDOM_BYTES)
    digest = code_hash(code)
    payload = json.dumps({
        "identity": identity.model_dump(mode="json"),
        "photo_jpeg": base64.b64encode(photo_jpeg).decode() if photo_jpeg else None,
    }, ensure_ascii=False).encode()
    expires = now + timedelta(seconds=ttl_s)
    with transaction(factory) as session:
        _tidy(session, now)
        session.add(IdentityCode(code_hash=digest, issued_at=now, expires_at=expires,
                                 payload=box.seal(_aad(digest), payload)))
    return IssuedCode(code=code, issued_at=now, expires_at=expires)


def resolve(factory: sessionmaker[Session], box: SecretBox, code: str, terminal_id: str,
            now: datetime) -> IdentityResolved:
    """The identity ``code`` stands for, using the code up (and writing the audit log
    in the same transaction); ApiError 404 ``code_unknown``, 410 ``code_expired`` or
    410 ``code_used`` otherwise."""
    digest = code_hash(code)  # whatever the text: the same work for every answer
    refusal: ApiError | None = None
    resolved: IdentityResolved | None = None
    with transaction(factory) as session:
        row = session.get(IdentityCode, digest, with_for_update=True)
        if row is None:
            refusal = ApiError(404, "code_unknown", "no such identity code")
        elif row.used_at is not None:
            refusal = ApiError(410, "code_used", "this identity code was already used")
        elif now >= row.expires_at or row.payload is None:
            refusal = ApiError(410, "code_expired", "this identity code has expired")
        else:
            opened = box.open(_aad(digest), row.payload)
            if opened is None:  # another master key: the server's fault, not the citizen's
                raise ApiError(503, "unavailable", "the identity could not be opened")
            data = json.loads(opened)
            resolved = IdentityResolved(identity=CodeIdentity.model_validate(data["identity"]),
                                        photo_jpeg=data.get("photo_jpeg"),
                                        issued_at=row.issued_at)
            row.used_at, row.used_by, row.payload = now, terminal_id, None
            audit.record(session, now, f"terminal:{terminal_id}", "resolve_identity_code",
                         mask_id(resolved.identity.id_number), "identity code used")
        _tidy(session, now)
    if refusal is not None:
        raise refusal
    assert resolved is not None
    return resolved


def _tidy(session: Session, now: datetime) -> None:
    """Expired codes lose their identity at once, and their row a day later."""
    session.execute(update(IdentityCode).where(IdentityCode.expires_at <= now,
                                               IdentityCode.payload.is_not(None))
                    .values(payload=None))
    session.execute(delete(IdentityCode).where(IdentityCode.expires_at < now - KEEP))
