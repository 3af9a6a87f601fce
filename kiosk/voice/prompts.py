"""Which texts are spoken: the instructions and errors a citizen is given, by i18n key.

A prompt key is the i18n key of a text that is on screen at the same moment, so
nothing is only heard. The journey view names it (``message``, ``error_key``,
``guidance``); :func:`prompt_for` picks the one to speak for the current state.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: Families of keys that instruct or warn a citizen (workflow, errors, camera guidance).
_SPOKEN = re.compile(
    r"^(workflow\.(identity|code|face|checklist|capture|form|signature|review|rating\.ask|submit|"
    r"receipt|done|error|end|query|ticket|certificate)\b"
    r"|error\.|face\.(guide|challenge|result)\.|document\.guide\.)")
#: Keys in those families that are labels or technician texts, not instructions.
_NOT_SPOKEN = re.compile(r"^(workflow\.(technician|status|step)\.|error\.config$)")


def is_prompt_key(key: str) -> bool:
    return bool(_SPOKEN.match(key)) and not _NOT_SPOKEN.match(key)


def prompt_keys(keys: Iterable[str]) -> list[str]:
    """Every key of a message catalogue that the voice guide may speak, sorted."""
    return sorted(k for k in keys if is_prompt_key(k))


def prompt_for(view: Mapping[str, Any]) -> str | None:
    """The prompt to speak for a journey view: the error's message in an error state,
    live camera guidance while there is some, otherwise the step's instruction."""
    if view.get("state") == "error" and view.get("error_key"):
        return str(view["error_key"])
    for name in ("guidance", "message"):
        key = view.get(name)
        if isinstance(key, str) and key:
            return key
    return None
