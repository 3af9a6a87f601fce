"""The citizen journey's screens: one host screen (``host.py``) showing one step view
at a time (``identity``, ``face``, ``checklist``, ``capture``, ``form``, ``signature``,
``review``, ``rating``, ``receipt``, ``error``), each a thin ``.py`` with its ``.kv``.

The views render ``journey.view(lang)`` (:mod:`kiosk.journey.view`) and fire
triggers; the journey (:mod:`kiosk.journey.apply`) decides everything.
"""

from screens.journey.host import JourneyScreen

__all__ = ["JourneyScreen"]
