"""The device sections of the kiosk configuration (``devices:`` in ``config/kiosk.yaml``).

They belong to the device packages: each factory (``make_reader``,
``make_printer``, ``make_camera``, ``make_scanner``) takes its section. The kiosk
configuration embeds :class:`DevicesConfig` and validates it like every other
section: frozen, unknown keys refused, no coercion.
"""

from __future__ import annotations

from typing import Literal

import pydantic
from pydantic import Field


class DeviceSettings(pydantic.BaseModel):
    """Base of the device sections: as strict as the rest of the configuration."""

    model_config = pydantic.ConfigDict(extra="forbid", frozen=True, strict=True)


class IdCardConfig(DeviceSettings):
    #: sam-serial: SAM frames on a serial/USB-serial port; sam-usb: the same frames on
    #: USB bulk endpoints (pyusb); sdk: a vendor library with the SDT_* or CVR_* C API.
    driver: Literal["sam-serial", "sam-usb", "sdk", "none"] = "sam-serial"
    #: Serial port path, or "auto" to probe the usual USB-serial ports.
    port: str = "auto"
    baud: int = Field(default=115200, gt=0)
    find_timeout_s: float = Field(default=0.3, gt=0)
    read_timeout_s: float = Field(default=3.0, gt=0)
    poll_interval_s: float = Field(default=0.25, gt=0)
    #: Path of a vendor WLT photo decoder library; empty = photo unavailable.
    photo_decoder: str = ""
    #: sam-usb: VID:PID pairs to look for ("0400:c35a"); empty = the known readers.
    usb_ids: tuple[str, ...] = ()
    usb_interface: int = Field(default=0, ge=0)
    #: sdk: the vendor library and the SDK's port number (1..16 serial, 1001..1016 USB).
    sdk_library: str = ""
    sdk_port: int = Field(default=1001, gt=0)
    #: sdk: the library's API: sdt (SDT_*, libsdtapi.so style) or cvr (华视 CVR_*,
    #: libtermb.so; resident cards only).
    sdk_flavour: Literal["sdt", "cvr"] = "sdt"

    @pydantic.field_validator("usb_ids")
    @classmethod
    def _vid_pid(cls, ids: tuple[str, ...]) -> tuple[str, ...]:
        for item in ids:
            vid, sep, pid = item.partition(":")
            if not sep or not all(len(x) == 4 and all(c in "0123456789abcdefABCDEF" for c in x)
                                  for x in (vid, pid)):
                raise ValueError(f"{item!r} is not VID:PID in hex (e.g. 0400:c35a)")
        return ids

    @pydantic.model_validator(mode="after")
    def _sdk_needs_library(self) -> IdCardConfig:
        if self.driver == "sdk" and not self.sdk_library:
            raise ValueError("driver sdk needs sdk_library (the vendor's .so path)")
        return self


class SsCardConfig(DeviceSettings):
    """Social security card (社保卡) through PC/SC."""

    driver: Literal["pcsc", "none"] = "pcsc"
    #: Substring of the PC/SC reader name to use; empty = first reader.
    reader: str = ""
    poll_interval_s: float = Field(default=0.5, gt=0)


class PrinterConfig(DeviceSettings):
    driver: Literal["network", "serial", "usb", "lp", "file", "none"] = "network"
    host: str = "127.0.0.1"
    port: int = Field(default=9100, gt=0, lt=65536)
    serial_port: str = ""
    baud: int = Field(default=115200, gt=0)
    usb_vendor: int = 0
    usb_product: int = 0
    file_path: str = ""
    #: lp: the USB printer class device (usblp), bidirectional where the printer is.
    lp_path: str = "/dev/usb/lp0"
    paper_mm: Literal[58, 80] = 80
    mode: Literal["text", "raster", "auto"] = "auto"
    timeout_s: float = Field(default=5.0, gt=0)
    #: What the printer's resident font draws; other characters switch a receipt to raster.
    text_charset: Literal["gb2312", "gbk", "gb18030-2", "gb18030"] = "gbk"
    native_qr: bool = True
    #: Whether the printer answers DLE EOT status queries (two-way transports only).
    status: bool = True
    status_timeout_s: float = Field(default=1.0, gt=0)
    #: Receipts' QR codes link to <query_base_url>/q/<kiosk_ref> (the progress page).
    query_base_url: str = Field(default="https://query.zhengwu.example",
                                pattern=r"^https?://[^\s/]+(/[^\s]*)?$")


class CameraConfig(DeviceSettings):
    driver: Literal["opencv", "none"] = "opencv"
    #: Device index ("0"), a device path, a file/URL understood by cv2.VideoCapture.
    source: str = "0"
    width: int = Field(default=640, gt=0)
    height: int = Field(default=480, gt=0)
    fps: int = Field(default=25, gt=0)
    frozen_after_s: float = Field(default=2.0, gt=0)


class ScannerConfig(DeviceSettings):
    driver: Literal["sane", "doccam", "none"] = "doccam"
    sane_device: str = ""
    dpi: int = Field(default=200, gt=0)


class CodeScannerConfig(DeviceSettings):
    """QR / barcode scanner (亮码, the receipt's QR): serial/USB-CDC or keyboard wedge."""

    driver: Literal["serial", "evdev", "none"] = "none"
    #: serial: the port (``/dev/ttyACM0``, or the stable ``/dev/kiosk/scanner``).
    port: str = ""
    baud: int = Field(default=9600, gt=0)
    terminator: Literal["CR", "LF", "CRLF", "TAB"] = "CR"
    #: The scanner is set to prefix the AIM symbology identifier (]Q1 for QR...).
    aim_prefix: bool = False
    #: evdev: the scanner's input node (``/dev/input/by-id/...-event-kbd``).
    input_path: str = ""
    grab: bool = True


class DevicesConfig(DeviceSettings):
    idcard: IdCardConfig = IdCardConfig()
    sscard: SsCardConfig = SsCardConfig()
    printer: PrinterConfig = PrinterConfig()
    camera: CameraConfig = CameraConfig()
    doccam: CameraConfig = CameraConfig(source="1", width=1920, height=1080, fps=10)
    scanner: ScannerConfig = ScannerConfig()
    codescanner: CodeScannerConfig = CodeScannerConfig()
