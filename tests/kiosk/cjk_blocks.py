"""The CJK ideograph blocks (assigned ranges, Unicode 15.1) the font tests walk."""

from __future__ import annotations

BLOCKS: dict[str, tuple[int, int]] = {
    "URO": (0x4E00, 0x9FFF),
    "Ext A": (0x3400, 0x4DBF),
    "Ext B": (0x20000, 0x2A6DF),
    "Ext C": (0x2A700, 0x2B739),
    "Ext D": (0x2B740, 0x2B81D),
    "Ext E": (0x2B820, 0x2CEA1),
    "Ext F": (0x2CEB0, 0x2EBE0),
    "Ext G": (0x30000, 0x3134A),
    "Ext H": (0x31350, 0x323AF),
}
#: Blocks the chain must cover completely; the others are checked as far as it covers them.
MUST_COVER = ("URO", "Ext A", "Ext B")
