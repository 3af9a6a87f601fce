"""Who the applicant is: the card readers' type, re-exported for the kiosk core.

The card readers produce :class:`Identity`, so it lives with them in
:mod:`devices.identity` (devices never import the kiosk core); the kiosk keeps
importing it from here.
"""

from devices.identity import CardType, Identity, id_check_char, is_valid_id_number

__all__ = ["CardType", "Identity", "id_check_char", "is_valid_id_number"]
