"""The ID card reader the configuration names: serial SAM, USB SAM, or a vendor SDK
(the SDT_* or the 华视 CVR_* flavour)."""

from __future__ import annotations

from devices.base import resolve_path
from devices.idcard.base import IdCardReader
from devices.idcard.photo import make_photo_decoder
from devices.idcard.sam import Timeouts
from devices.idcard.sam_serial import SamSerialReader
from devices.idcard.sam_usb import KNOWN_READERS, SamUsbReader, UsbId
from devices.idcard.sdk import SdtReader
from devices.idcard.sdk_cvr import CvrReader
from devices.settings import IdCardConfig
from kiosk.clock import Clock


def make_reader(config: IdCardConfig, *, clock: Clock) -> IdCardReader | None:
    """The configured reader, not opened yet (``driver: none`` -> None)."""
    if config.driver == "sam-serial":
        return SamSerialReader.from_config(config, clock=clock)
    decoder = make_photo_decoder(config.photo_decoder)
    if config.driver == "sam-usb":
        ids = tuple(UsbId(int(v, 16), int(p, 16)) for v, _, p in
                    (item.partition(":") for item in config.usb_ids)) or KNOWN_READERS
        return SamUsbReader(clock=clock, ids=ids, interface=config.usb_interface,
                            timeouts=Timeouts(config.find_timeout_s, config.read_timeout_s),
                            poll_interval_s=config.poll_interval_s, photo_decoder=decoder)
    if config.driver == "sdk" and config.sdk_flavour == "cvr":
        return CvrReader(clock=clock, library=str(resolve_path(config.sdk_library)),
                         port=config.sdk_port, poll_interval_s=config.poll_interval_s,
                         photo_decoder=decoder)
    if config.driver == "sdk":
        return SdtReader(clock=clock, library=str(resolve_path(config.sdk_library)),
                         port=config.sdk_port, poll_interval_s=config.poll_interval_s,
                         photo_decoder=decoder)
    return None
