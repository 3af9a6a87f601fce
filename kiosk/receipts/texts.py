"""Where receipt wording comes from.

Builders need only ``gettext(key, **kw)``: the project-wide translator
(``kiosk.i18n.translate.Translator``, what the app passes) satisfies :class:`Texts`, and
so does :class:`ReceiptCatalog`, a minimal reader of this domain's own
``kiosk/locale/<lang>/receipt.po`` alone (benchmarks, tools). msgid is the
dotted key, msgstr the text; ``{name}`` fields are filled with
:meth:`str.format`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import polib

from kiosk.errors import ConfigError

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
DOMAIN = "receipt"


class Texts(Protocol):
    lang: str

    def gettext(self, key: str, /, **kw: Any) -> str: ...


class ReceiptCatalog:
    """The ``receipt`` domain of one language, read once with polib."""

    def __init__(self, lang: str, locale_dir: Path = LOCALE_DIR) -> None:
        self.lang = lang
        path = locale_dir / lang / f"{DOMAIN}.po"
        try:
            po = polib.pofile(str(path), encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise ConfigError(str(path), "", f"cannot read translations: {exc}") from None
        self._messages: dict[str, str] = {
            e.msgid: e.msgstr for e in po if e.msgstr and not e.obsolete}

    def keys(self) -> frozenset[str]:
        return frozenset(self._messages)

    def gettext(self, key: str, /, **kw: Any) -> str:
        # A missing key shows the key itself: visible on the printout, never a crash
        # in front of a citizen; tests check both languages are complete.
        text = self._messages.get(key, key)
        return text.format(**kw) if kw else text
