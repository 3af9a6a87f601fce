"""A fresh install: every file of a terminal, then (on a real machine only) the system
steps. ``--root DIR`` stages the same files under DIR, changes no owner, runs no system
command, and lists the commands it would run in ``<prefix>/actions.txt``."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from deploy.installer import udev
from deploy.installer.layout import DEPLOY, Layout, render
from deploy.installer.release import current_version, install_release, switch

#: Debian packages a terminal runs on (the developer's list is scripts/lib/bootstrap.sh);
#: the last four build the venv's python-sane and pyscard when pip finds no wheel.
APT_PACKAGES = ("cage", "python3-venv", "libgl1", "libgl1-mesa-dri", "libegl1", "libmtdev1",
                "fonts-noto-cjk", "fonts-hanazono", "fonts-babelstone-han", "pcscd",
                "libusb-1.0-0", "libsane1", "espeak-ng", "sox", "libzinnia0",
                "tegaki-zinnia-simplified-chinese",
                "python3-dev", "gcc", "libsane-dev", "libpcsclite-dev")
TIMERS = ("kiosk-wake.timer", "kiosk-sleep.timer")
SERVICES = ("kiosk-sender.service", "kiosk-app.service")


@dataclass
class Terminal:
    """What a fresh terminal's /etc/kiosk is written with (kept on later runs)."""

    terminal_id: str = "XS-TERM-0001"
    ref_prefix: str = "KS"
    site: str = "township"
    backoffice_url: str = ""
    days: str = "Mon..Sun"
    on: str = "07:00"
    off: str = "22:00"
    terminal_secret: Path | None = None


def _template(rel: str) -> str:
    return (DEPLOY / rel).read_text(encoding="utf-8")


def power_values(layout: Layout, terminal: Terminal) -> dict[str, str]:
    """The hours from the terminal's power.conf if there is one, else from ``terminal``;
    as the timers' OnCalendar= values."""
    conf = layout.at(layout.etc / "power.conf")
    values = {"DAYS": terminal.days, "ON": terminal.on, "OFF": terminal.off}
    if conf.exists():
        for line in conf.read_text(encoding="utf-8").splitlines():
            key, sep, value = line.partition("=")
            if sep and key.strip() in values:
                values[key.strip()] = value.strip()
    return {**values,
            "ON_CALENDAR": f"{values['DAYS']} *-*-* {values['ON']}:00",
            "OFF_CALENDAR": f"{values['DAYS']} *-*-* {values['OFF']}:00"}


def write_system_files(layout: Layout, terminal: Terminal) -> None:
    values = {**layout.subst(), **power_values(layout, terminal),
              "TERMINAL_ID": terminal.terminal_id, "REF_PREFIX": terminal.ref_prefix,
              "SITE": terminal.site, "BACKOFFICE_URL": terminal.backoffice_url}
    u = layout.user
    layout.mkdir(layout.prefix)
    # Configuration: written once, kept over every later install and upgrade.
    layout.mkdir(layout.etc)
    layout.mkdir(layout.etc / "secrets", 0o700, u, u)
    layout.write(layout.etc / "kiosk.yaml", render(_template("config/kiosk.yaml"), values),
                 0o640, "root", u, keep=True)
    layout.write(layout.etc / "power.conf", render(_template("config/power.conf"), values),
                 keep=True)
    layout.write(layout.etc / "environment", render(_template("config/environment"), values),
                 keep=True)
    layout.write(layout.etc / "devices.tsv", "# this terminal's own USB devices "
                 "(same columns as the release's deploy/devices.tsv)\n", keep=True)
    if terminal.terminal_secret is not None:
        layout.copy(terminal.terminal_secret, layout.etc / "secrets" / "terminal.key",
                    0o600, u, u)
    # Data: only the kiosk's user reads it.
    layout.mkdir(layout.data, 0o700, u, u)
    for sub in ("secrets", "log", "state"):
        layout.mkdir(layout.data / sub, 0o700, u, u)
    # systemd, udev, PAM.
    for rel, target in (("sysusers.d/kiosk.conf", layout.sysusers / "kiosk.conf"),
                        ("tmpfiles.d/kiosk.conf", layout.tmpfiles / "kiosk.conf"),
                        ("pam.d/kiosk", layout.pam / layout.user)):
        layout.write(target, render(_template(rel), values))
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        layout.write(layout.units / unit.name, render(unit.read_text(encoding="utf-8"), values))
    layout.write(layout.udev / "70-kiosk.rules", udev_rules(layout))


def udev_rules(layout: Layout) -> str:
    devices = udev.parse(_template("devices.tsv"), "deploy/devices.tsv")
    own = layout.at(layout.etc / "devices.tsv")
    if own.exists():
        devices += udev.parse(own.read_text(encoding="utf-8"), str(layout.etc / "devices.tsv"))
    config = layout.at(layout.etc / "kiosk.yaml")
    if config.exists():
        devices += udev.from_config(config.read_text(encoding="utf-8"))
    return udev.rules(devices, layout.user)


def system_actions(layout: Layout) -> list[list[str]]:
    """The commands a real install runs after the files are written, in order."""
    return [
        ["apt-get", "install", "-y", "--no-install-recommends", *APT_PACKAGES],
        ["systemd-sysusers", str(layout.sysusers / "kiosk.conf")],
        ["systemd-tmpfiles", "--create", str(layout.tmpfiles / "kiosk.conf")],
        ["runuser", "-u", layout.user, "--", str(layout.current / "bin" / "kiosk-migrate")],
        ["udevadm", "control", "--reload"],
        ["udevadm", "trigger", "--subsystem-match=usb", "--subsystem-match=tty",
         "--subsystem-match=usbmisc"],
        ["systemctl", "daemon-reload"],
        ["systemctl", "set-default", "graphical.target"],
        ["systemctl", "enable", "--now", *TIMERS],
        ["systemctl", "enable", *SERVICES],
        ["systemctl", "restart", *SERVICES],
    ]


def install(layout: Layout, terminal: Terminal, release: Path, *,
            deps_from: Path | None = None, system: bool | None = None) -> list[list[str]]:
    """Write everything; on a real machine (``system``, default: not staged) run
    :func:`system_actions` (the kiosk user first: files are given to it). Returns the
    actions, run or listed in ``<prefix>/actions.txt``."""
    actions = system_actions(layout)
    system = not layout.staged if system is None else system
    if system:
        subprocess.run(actions[0], check=True, env={**os.environ,
                                                    "DEBIAN_FRONTEND": "noninteractive"})
        layout.write(layout.sysusers / "kiosk.conf",
                     render(_template("sysusers.d/kiosk.conf"), layout.subst()))
        subprocess.run(actions[1], check=True)
    write_system_files(layout, terminal)
    if current_version(layout) is None:  # a later run rewrites the files, not the release
        switch(layout, install_release(layout, release, deps_from=deps_from).name)
    layout.write_manifest()
    if not system:
        (layout.at(layout.prefix) / "actions.txt").write_text(
            "# scripts/install would run, as root, in order:\n"
            + "".join(" ".join(a) + "\n" for a in actions), encoding="utf-8")
        return actions
    for action in actions[2:]:
        subprocess.run(action, check=True)
    return actions
