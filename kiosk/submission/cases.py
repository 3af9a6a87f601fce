"""A case: what a citizen hands in at the kiosk, ready for the back office.

Frozen dataclasses; the only serialised form is the versioned CaseSubmission
JSON of backoffice/API.md (``schema: 1``), produced by :meth:`Case.to_submission`.
Material pages and the signature are :class:`Blob` s: bytes plus content type,
addressed by the SHA-256 of their bytes (the back office stores them by that
hash, the outbox deduplicates by it).

Nothing here is ever pickled, and ``repr`` never shows personal data, so a case
that ends up in a log line or a traceback leaks nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

from kiosk.catalog.forms import FormValue
from kiosk.clock import CST
from kiosk.errors import ValidationError
from kiosk.identity import Identity
from kiosk.privacy import mask_id
from kiosk.submission.reference import parse_reference

SCHEMA = 1
CONTENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
#: backoffice/API.md: material upload size limit.
MAX_BLOB_BYTES = 10 * 1024 * 1024
#: backoffice/API.md: case body limit.
MAX_BODY_BYTES = 1024 * 1024
#: Default budget for all blobs of one case (about 30 scanned A4 pages).
DEFAULT_CASE_BUDGET = 64 * 1024 * 1024

#: code / code+face: the applicant showed an identity code (亮码) the back office resolved.
VerificationMethod = Literal["card+face", "card", "sscard", "staff", "code+face", "code"]
_METHODS = ("card+face", "card", "sscard", "staff", "code+face", "code")


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("times in a case must be timezone-aware")
    return moment.astimezone(CST).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Blob:
    """Bytes of one page (or the signature) with their content type and SHA-256."""

    content_type: str
    data: bytes = field(repr=False)
    sha256: str = field(init=False)

    def __post_init__(self) -> None:
        if self.content_type not in CONTENT_TYPES:
            raise ValidationError(f"content type {self.content_type!r} not accepted",
                                  i18n_key="case.error.content_type")
        if not self.data:
            raise ValidationError("empty page", i18n_key="case.error.content_type")
        if len(self.data) > MAX_BLOB_BYTES:
            raise ValidationError(f"page of {len(self.data)} bytes over {MAX_BLOB_BYTES}",
                                  i18n_key="case.error.too_large")
        object.__setattr__(self, "sha256", hashlib.sha256(self.data).hexdigest())

    @property
    def size(self) -> int:
        return len(self.data)

    def descriptor(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "content_type": self.content_type, "size": self.size}


@dataclass(frozen=True)
class Material:
    code: str
    name: str
    pages: tuple[Blob, ...]

    def __post_init__(self) -> None:
        if not self.pages:
            raise ValidationError(f"material {self.code} has no pages",
                                  i18n_key="case.error.incomplete")


@dataclass(frozen=True)
class DeferredMaterial:
    """A 容缺 commitment: a secondary material the applicant will supply by ``deadline``."""

    code: str
    name: str
    deadline: date


@dataclass(frozen=True)
class Verification:
    method: VerificationMethod
    score: float | None
    verified_at: datetime

    def __post_init__(self) -> None:
        if self.method not in _METHODS:
            raise ValueError(f"unknown verification method {self.method!r}")
        if self.score is not None and not 0.0 <= self.score <= 1.0:
            raise ValueError("verification score is a similarity in 0..1")
        _iso(self.verified_at)

    def to_json(self) -> dict[str, Any]:
        return {"method": self.method, "score": self.score,
                "verified_at": _iso(self.verified_at)}


@dataclass(frozen=True)
class Applicant:
    """The identity fields the back office receives (API.md ``applicant``); nothing more."""

    id_number: str
    name: str
    sex: str
    nation: str
    birth: date | None
    address: str
    card_type: str
    card_valid_to: date | None

    @classmethod
    def from_identity(cls, identity: Identity) -> Applicant:
        # The card photo, authority and issue count stay in the session: not needed.
        return cls(id_number=identity.id_number, name=identity.name, sex=identity.sex,
                   nation=identity.nation, birth=identity.birth, address=identity.address,
                   card_type=identity.card_type.value,
                   card_valid_to=None if identity.long_term else identity.valid_to)

    def __repr__(self) -> str:
        return f"Applicant(id_number={mask_id(self.id_number)!r}, card_type={self.card_type!r})"

    def to_json(self) -> dict[str, Any]:
        return {
            "id_number": self.id_number, "name": self.name, "sex": self.sex,
            "nation": self.nation, "birth": self.birth.isoformat() if self.birth else None,
            "address": self.address, "card_type": self.card_type,
            "card_valid_to": self.card_valid_to.isoformat() if self.card_valid_to else None,
        }


@dataclass(frozen=True)
class Rating:
    score: int
    reasons: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 1 <= self.score <= 5:
            raise ValueError("rating score is 1..5")


@dataclass(frozen=True)
class Case:
    item_code: str
    applicant: Applicant
    verification: Verification
    form: Mapping[str, FormValue] = field(repr=False)
    materials: tuple[Material, ...]
    site_id: str
    terminal_id: str
    created_at: datetime
    bundle_code: str | None = None
    deferred: tuple[DeferredMaterial, ...] = ()
    signature: Blob | None = None
    rating: Rating | None = None
    #: Given by the outbox when the case is accepted (see kiosk/submission/reference.py).
    kiosk_ref: str | None = None

    def __post_init__(self) -> None:
        _iso(self.created_at)
        if not self.item_code or not self.site_id or not self.terminal_id:
            raise ValidationError("item, site and terminal are required",
                                  i18n_key="case.error.incomplete")
        if self.kiosk_ref is not None:
            parse_reference(self.kiosk_ref)
        # A frozen case must not change under the outbox's feet through a shared dict.
        object.__setattr__(self, "form", dict(self.form))

    def __repr__(self) -> str:
        return (f"Case(kiosk_ref={self.kiosk_ref!r}, item_code={self.item_code!r}, "
                f"applicant={self.applicant!r}, pages={sum(1 for _ in self.blobs())})")

    def with_ref(self, kiosk_ref: str) -> Case:
        return replace(self, kiosk_ref=kiosk_ref)

    def blobs(self) -> Iterator[Blob]:
        """Every distinct blob (pages, then the signature), first occurrence first."""
        seen: set[str] = set()
        pages = [p for m in self.materials for p in m.pages]
        for blob in [*pages, *([self.signature] if self.signature else [])]:
            if blob.sha256 not in seen:
                seen.add(blob.sha256)
                yield blob

    @property
    def blob_bytes(self) -> int:
        return sum(b.size for b in self.blobs())

    def check_budget(self, max_bytes: int = DEFAULT_CASE_BUDGET) -> None:
        if self.blob_bytes > max_bytes:
            raise ValidationError(f"materials total {self.blob_bytes} bytes over {max_bytes}",
                                  i18n_key="case.error.too_large")

    def to_submission(self) -> dict[str, Any]:
        """The CaseSubmission JSON object of backoffice/API.md, schema 1."""
        if self.kiosk_ref is None:
            raise ValueError("a case gets its kiosk reference from the outbox first")
        return {
            "schema": SCHEMA,
            "kiosk_ref": self.kiosk_ref,
            "item_code": self.item_code,
            "bundle_code": self.bundle_code,
            "site_id": self.site_id,
            "terminal_id": self.terminal_id,
            "created_at": _iso(self.created_at),
            "applicant": self.applicant.to_json(),
            "verification": self.verification.to_json(),
            "form": dict(self.form),
            "materials": [{"code": m.code, "name": m.name,
                           "pages": [p.descriptor() for p in m.pages]}
                          for m in self.materials],
            "deferred_materials": [{"code": d.code, "name": d.name,
                                    "deadline": d.deadline.isoformat()}
                                   for d in self.deferred],
            "signature": self.signature.descriptor() if self.signature else None,
            "rating": ({"score": self.rating.score, "reasons": list(self.rating.reasons)}
                       if self.rating else None),
        }

    def submission_body(self) -> bytes:
        """The exact bytes POSTed: computed once and stored, because the back office
        answers 409 to the same Idempotency-Key with a different body."""
        text = json.dumps(self.to_submission(), ensure_ascii=False, sort_keys=True,
                          separators=(",", ":"), allow_nan=False)
        try:
            body = text.encode("utf-8")
        except UnicodeEncodeError:
            # A lone surrogate (from a broken input method or a card field) is not
            # text; the back office would refuse it, so the case never enters the outbox.
            raise ValidationError("a form value holds invalid Unicode (a lone surrogate)",
                                  i18n_key="form.error.unknown") from None
        if len(body) > MAX_BODY_BYTES:
            raise ValidationError(f"case body of {len(body)} bytes over {MAX_BODY_BYTES}",
                                  i18n_key="case.error.too_large")
        return body
