"""Find the i18n keys the code uses literally, so a test can demand a translation.

Scanned: Python files under ``kiosk/ devices/ screens/`` and Kivy ``.kv`` files.
A literal counts as a key when it looks like one (lower-case dotted words, see
:data:`KEY_RE`) and appears as

* the argument of ``_(...)``, ``tr(...)`` or ``gettext(...)`` (also as
  methods, e.g. ``app.tr(...)`` in ``.kv`` rules);
* ``i18n_key=...`` in a call, or ``i18n_key = ...`` / ``i18n_key: str = ...``
  as a class attribute (kiosk/errors.py and device error classes);
* ``reason=...`` (``DeviceStatus.reason``), or any string that starts with
  ``device.reason.`` (drivers keep their reasons in constants).

Free text (``reason="serial port gone"``) and keys built at run time
(f-strings) are not keys here; whoever builds keys at run time tests them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

KEY_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_+/]+)+$")

_Q = r"""(['"])([^'"\n]+)\1"""
_CALL = re.compile(r"\b(?:_|tr|gettext)\(\s*" + _Q)
_PY_PATTERNS = (
    _CALL,
    re.compile(r"\bi18n_key\s*(?::\s*str\s*)?=\s*" + _Q),
    re.compile(r"\breason\s*=\s*" + _Q),
    re.compile(r"""(['"])(device\.reason\.[a-z0-9_]+)\1"""),
)
_KV_PATTERNS = (_CALL,)
_SKIP_DIRS = {".venv", "__pycache__", "tests", "node_modules"}


def scan_text(text: str, *, kv: bool = False) -> list[tuple[str, int]]:
    """(key, line number) for every literal key in one file's text."""
    found: list[tuple[str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        on_line: list[str] = []
        for pattern in _KV_PATTERNS if kv else _PY_PATTERNS:
            for match in pattern.finditer(line):
                key = match.group(2)
                if KEY_RE.match(key) and key not in on_line:
                    on_line.append(key)
        found.extend((key, number) for key in on_line)
    return found


def scan(roots: Iterable[Path]) -> dict[str, list[str]]:
    """Every literal key under ``roots`` with where it is used (``path:line``)."""
    used: dict[str, list[str]] = {}
    for root in roots:
        if not root.exists():
            continue
        for path in sorted(root.rglob("*")):
            if path.suffix not in (".py", ".kv") or _SKIP_DIRS & set(path.parts):
                continue
            text = path.read_text(encoding="utf-8")
            for key, line in scan_text(text, kv=path.suffix == ".kv"):
                used.setdefault(key, []).append(f"{path}:{line}")
    return used
