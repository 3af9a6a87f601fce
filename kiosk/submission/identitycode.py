"""亮码 on the kiosk: a code read by the scanner becomes an :class:`Identity`, or a reason.

The code (an electronic social security card QR, a 浙里办 identity code) is resolved
by the back office (``POST /api/v1/identity/code``, backoffice/API.md), which uses it
up. :class:`CodeResolver` turns the answer into the same :class:`Identity` a card
read gives (the document photo, when the platform has one, in ``photo_bmp`` for the
face check) and every failure into :class:`IdentityCodeError` whose ``i18n_key``
says what the citizen is told:

* ``workflow.code.expired``: 请在手机上刷新后重新亮码;
* ``workflow.code.used``: the code was used already;
* ``workflow.code.unknown``: not a code the platform issued (also a product
  barcode, a receipt's QR: :func:`looks_like_code` stops those without a request);
* ``workflow.code.offline``: the back office cannot be reached: use the ID card.

Neither the code nor the ID number is ever logged; :func:`code_tag` names a code in
a log line by a short hash.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from typing import Protocol

from kiosk.errors import BackofficeError, PermanentError, TransientError
from kiosk.identity import CardType, Identity
from kiosk.submission.client import IdentityResolved

log = logging.getLogger(__name__)

#: What the platform puts in its QR (backoffice/schemas.py IDENTITY_CODE_PATTERN).
CODE_PATTERN = re.compile(r"ZJID1\.[A-Za-z0-9_-]{32}")
_KEYS = {"code_expired": "workflow.code.expired", "code_used": "workflow.code.used",
         "code_unknown": "workflow.code.unknown"}


class IdentityCodeError(BackofficeError):
    """The code did not give an identity; ``i18n_key`` is the reason (see the module)."""

    i18n_key = "workflow.code.unknown"


class CodeClient(Protocol):
    """``kiosk.submission.client.BackofficeClient``."""

    def identity_code(self, code: str) -> IdentityResolved: ...


def looks_like_code(text: str) -> bool:
    return CODE_PATTERN.fullmatch(text) is not None


def code_tag(text: str) -> str:
    """A name for a code in a log line that does not reveal it (8 hex of its SHA-256)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]


class CodeResolver:
    def __init__(self, client: CodeClient) -> None:
        self._client = client

    def resolve(self, code: str) -> Identity:
        if not looks_like_code(code):
            raise IdentityCodeError(f"code {code_tag(code)}: not an identity code",
                                    i18n_key="workflow.code.unknown")
        try:
            answer = self._client.identity_code(code)
        except PermanentError as exc:
            key = _KEYS.get(exc.code)
            if key is None:  # signature refused, a malformed request: this kiosk's fault
                log.warning("identity code %s refused: %s", code_tag(code), type(exc).__name__)
                raise IdentityCodeError(f"code {code_tag(code)}: {exc}",
                                        i18n_key="workflow.code.offline") from None
            log.info("identity code %s: %s", code_tag(code), exc.code)
            raise IdentityCodeError(f"code {code_tag(code)}: {exc.code}", i18n_key=key) from None
        except TransientError as exc:
            log.warning("identity code %s not resolved: %s", code_tag(code), type(exc).__name__)
            raise IdentityCodeError(f"code {code_tag(code)}: back office unreachable",
                                    i18n_key="workflow.code.offline") from None
        log.info("identity code %s resolved", code_tag(code))
        return to_identity(answer)


def to_identity(answer: IdentityResolved) -> Identity:
    who = answer.identity
    try:
        card_type = CardType(who.card_type)
    except ValueError:
        card_type = CardType.RESIDENT
    photo = b""
    if answer.photo_jpeg:
        try:
            photo = base64.b64decode(answer.photo_jpeg, validate=True)
        except (binascii.Error, ValueError):
            photo = b""  # no usable photo: the face step falls back as without a card photo
    return Identity(card_type=card_type, name=who.name, id_number=who.id_number.upper(),
                    sex=who.sex, birth=who.birth, nation=who.nation, address=who.address,
                    authority=who.authority, valid_from=who.valid_from, valid_to=who.valid_to,
                    long_term=who.long_term, photo_bmp=photo)
