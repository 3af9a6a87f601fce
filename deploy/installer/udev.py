"""udev rules from the device list (deploy/devices.tsv, plus a terminal's own
/etc/kiosk/devices.tsv): each device gets a stable name ``/dev/kiosk/<name>`` and the
kiosk group, matched by VID:PID. The list is data; this only writes one rule a line."""

from __future__ import annotations

import re
from dataclasses import dataclass

SUBSYSTEMS = {
    # the USB device node itself (/dev/bus/usb/BBB/DDD), what pyusb opens
    "usb": 'SUBSYSTEM=="usb", ENV{DEVTYPE}=="usb_device"',
    # USB serial and CDC-ACM ports (/dev/ttyUSBn, /dev/ttyACMn)
    "tty": 'SUBSYSTEM=="tty"',
    # the USB printer class (/dev/usb/lpN)
    "usbmisc": 'SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*"',
}
_HEX4 = re.compile(r"^[0-9a-f]{4}$")
_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


@dataclass(frozen=True)
class UsbDevice:
    name: str
    vid: str
    pid: str
    subsystem: str
    model: str = ""

    def rule(self, group: str) -> str:
        return (f'{SUBSYSTEMS[self.subsystem]}, ATTRS{{idVendor}}=="{self.vid}", '
                f'ATTRS{{idProduct}}=="{self.pid}", GROUP="{group}", MODE="0660", '
                f'SYMLINK+="kiosk/{self.name}"')


def parse(text: str, source: str) -> list[UsbDevice]:
    """The lines of a devices.tsv; a bad line is an error naming the file and line."""
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split(None, 4)
        if len(fields) < 4:
            raise ValueError(f"{source}:{number}: want: name vid pid subsystem [model]")
        name, vid, pid, subsystem = fields[0], fields[1].lower(), fields[2].lower(), fields[3]
        if not _NAME.match(name):
            raise ValueError(f"{source}:{number}: bad name {name!r}")
        if not (_HEX4.match(vid) and _HEX4.match(pid)):
            raise ValueError(f"{source}:{number}: VID and PID are 4 hex digits each")
        if subsystem not in SUBSYSTEMS:
            raise ValueError(f"{source}:{number}: subsystem is one of {', '.join(SUBSYSTEMS)}")
        out.append(UsbDevice(name, vid, pid, subsystem, fields[4] if len(fields) > 4 else ""))
    return out


def from_config(text: str) -> list[UsbDevice]:
    """The USB ids a kiosk.yaml names (printer usb_vendor/usb_product, the ID card
    reader's usb_ids): read with a few patterns, since the installer has no YAML parser."""
    out = []
    vendor = re.search(r"^\s+usb_vendor:\s*(0x[0-9a-fA-F]+|\d+)", text, re.MULTILINE)
    product = re.search(r"^\s+usb_product:\s*(0x[0-9a-fA-F]+|\d+)", text, re.MULTILINE)
    if vendor and product and int(vendor[1], 0) and int(product[1], 0):
        out.append(UsbDevice("printer", f"{int(vendor[1], 0):04x}", f"{int(product[1], 0):04x}",
                             "usb", "kiosk.yaml devices.printer"))
    ids = re.search(r"^\s+usb_ids:\s*\[([^\]]*)\]", text, re.MULTILINE)
    for item in re.findall(r"([0-9a-fA-F]{4}):([0-9a-fA-F]{4})", ids[1] if ids else ""):
        out.append(UsbDevice("idcard", item[0].lower(), item[1].lower(), "usb",
                             "kiosk.yaml devices.idcard.usb_ids"))
    return out


def rules(devices: list[UsbDevice], group: str) -> str:
    lines = ["# Written by scripts/install from deploy/devices.tsv (and /etc/kiosk/devices.tsv):",
             "# stable names /dev/kiosk/<name> and the kiosk group for the terminal's devices."]
    seen = set()
    for device in devices:
        key = (device.vid, device.pid, device.subsystem)
        if key in seen:
            continue
        seen.add(key)
        lines.append(f"# {device.name}: {device.model}".rstrip(": "))
        lines.append(device.rule(group))
    return "\n".join(lines) + "\n"
