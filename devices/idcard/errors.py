"""Status-specific errors of the 二代证 SAM reader, as subclasses of the project tree.

Every SW3 status byte of a SAM response (GA/T 467; see ``protocol.Sw3``) maps to
exactly one class here. They subclass :mod:`kiosk.errors` so callers that only
know ``CardError``/``NoCard``/``ProtocolError`` keep working; the subclass and
``sw3`` tell a technician which status the SAM sent. ``i18n_key`` names a text in
``kiosk/locale/*/idcard.po``.
"""

from __future__ import annotations

from kiosk.errors import CardError, NoCard, ProtocolError


class _Sw3Mixin:
    """Carries the SW3 byte that caused the error (0 when it came from our side)."""

    sw3: int = 0


class SamRejectedFrame(_Sw3Mixin, ProtocolError):
    """SW3 10/11/21: the SAM says our frame was corrupt (checksum, length, command).

    Noise on the line is the usual cause, so the driver retries the command.
    """

    i18n_key = "idcard.error.communication"


class CardNotPermitted(_Sw3Mixin, CardError):
    """SW3 23: 越权操作 (the operation is not permitted for this card/SAM)."""

    i18n_key = "idcard.error.read_failed"


class SamUnknownError(_Sw3Mixin, CardError):
    """SW3 24: the SAM reports an unspecified error."""

    i18n_key = "idcard.error.read_failed"


class CardAuthFailed(_Sw3Mixin, CardError):
    """SW3 31/32/33: mutual authentication between card and SAM failed.

    A forged or damaged card, or a card moved during the exchange.
    """

    i18n_key = "idcard.error.auth_failed"


class UnknownCardType(_Sw3Mixin, CardError):
    """SW3 40: a card in the field, but not an identity card the SAM knows."""

    i18n_key = "idcard.error.unknown_card"


class CardReadFailed(_Sw3Mixin, CardError):
    """SW3 41/47: reading failed (or the random-number exchange did); usually a moved card."""

    i18n_key = "idcard.error.read_failed"


class NoContent(_Sw3Mixin, CardError):
    """SW3 91: the card holds no such content (e.g. no appended address)."""

    i18n_key = "idcard.error.read_failed"


class SamFault(_Sw3Mixin, CardError):
    """SW3 60: the SAM failed its self-test. The reader is out of service."""

    i18n_key = "idcard.error.reader_fault"


class SamNotAuthorised(SamFault):
    """SW3 66: the SAM is not authorised (not activated by the issuing authority)."""

    i18n_key = "idcard.error.reader_fault"


class CardNotFound(_Sw3Mixin, NoCard):
    """SW3 80: find card failed: no card in the field."""

    i18n_key = "idcard.error.no_card"


class CardSelectFailed(_Sw3Mixin, NoCard):
    """SW3 81: select failed: the card left the field between find and select."""

    i18n_key = "idcard.error.no_card"


class CardExpired(CardError):
    """The card was read correctly but its validity ended before today."""

    i18n_key = "idcard.error.expired"


class UnknownStatus(_Sw3Mixin, ProtocolError):
    """A status byte GA/T 467 does not define. An answer, so never retried."""

    i18n_key = "idcard.error.communication"
