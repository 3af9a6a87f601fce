"""Handwriting input (手写输入) for citizens who cannot type pinyin.

::

    drawing pad (screens) ──points──► Ink (in memory, wiped with the session)
                                         │ strokes
                                         ▼
                              Recognizer.classify(ink, n) ──► candidates, best first
                                         │
                              ZinniaEngine (libzinnia through ctypes, Debian libzinnia0)
                              + the Simplified Chinese model (tegaki-zinnia-simplified-chinese)

Strokes never leave memory: the ink is not logged, not written, and cleared when the
field is done or the session ends. A missing library or model makes handwriting
UNAVAILABLE with the reason (pinyin stays), never a crash.
"""
