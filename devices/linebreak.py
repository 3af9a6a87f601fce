"""The Chinese line-breaking tables (禁则), shared by paper and screen.

GB/T 15834 (标点符号用法) and JIS X 4051 kinsoku: closing punctuation never
starts a line and opening punctuation never ends one. The receipt layout
(``devices.printer.layout``) wraps by printer columns with these tables; the
screens (``kiosk.i18n.linebreak``, pixel widths) use the same ones. They live
here, as plain data, because devices may depend only on the kiosk's foundation
(errors, clock, privacy) while the kiosk and the screens may use devices.
"""

from __future__ import annotations

#: Never at the start of a line (GB/T 15834 / kinsoku "gyōtō kinsoku").
NO_LINE_START = frozenset(
    "，。、；：？！）」』】》〉〕〗”’…—～·%‰℃°,.;:?!)]}>" "\u30fc\u3005\uff5e\uff09\uff60"
)
#: Never at the end of a line.
NO_LINE_END = frozenset("（「『【《〈〔〖“‘([{<￥$#")
