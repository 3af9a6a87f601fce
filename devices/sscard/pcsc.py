"""The social security card reader on PC/SC, built from its settings.

The reader's behaviour is :class:`devices.sscard.base.SsCardReader`; its
primitives (list the readers, connect to a card) come from
:mod:`devices.sscard.pyscard_backend` unless injected.
"""

from __future__ import annotations

from devices.settings import SsCardConfig
from devices.sscard.base import SsCardReader
from kiosk.clock import Clock


def make_reader(config: SsCardConfig, *, clock: Clock) -> SsCardReader | None:
    if config.driver == "none":
        return None
    return SsCardReader(clock=clock, reader_filter=config.reader,
                        poll_interval_s=config.poll_interval_s)
