"""Who the applicant is: the card readers' type, re-exported for the kiosk core.

The card readers produce :class:`Identity`, so it lives with them in
:mod:`devices.identity` (devices never import the kiosk core); the kiosk keeps
importing it from here.
"""

from datetime import date

from devices.identity import CardType, Identity, id_check_char, is_valid_id_number

__all__ = ["CardType", "Identity", "id_birth_date", "id_check_char", "is_valid_id_number"]


def id_birth_date(value: str) -> date | None:
    """The birth date encoded in an 18-character ID number (characters 7-14), if any."""
    try:
        return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None
