"""Errors of the social security card reader, as subclasses of the project tree."""

from __future__ import annotations

from kiosk.errors import CardError, NoCard


class SsCardReadFailed(CardError):
    """The card refused or failed a read (status word other than 9000)."""

    i18n_key = "sscard.error.read_failed"


class NotSocialSecurityCard(CardError):
    """A card without the social security application (select answered 6A82)."""

    i18n_key = "sscard.error.not_sscard"


class SsCardRemoved(NoCard):
    """The card left the reader during an exchange."""

    i18n_key = "sscard.error.removed"
