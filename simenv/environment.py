"""The simulated terminal: every device simulator and the back office, on loopback.

:class:`SimEnvironment` (a context manager) starts, as child processes of its own,

* the reference back office (``python -m backoffice.cli serve``) on a free
  port, SQLite and blobs in ``<dir>/backoffice``, this terminal's secret
  provisioned in ``<dir>/secrets/terminal.key`` (``terminal add``);
* the 二代证 SAM simulator on a pty (``devices.idcard.simulator``), reached
  through the stable symlink ``<run>/idcard-tty``; no card on the reader;
* the ESC/POS printer emulator on a free TCP port, rendering each job to
  ``<dir>/receipts/job-NNNN.png`` (a previous run's receipts are removed);

and in-process, the QR/barcode scanner (亮码) on a pty behind the stable symlink
``<run>/codescanner-tty`` (:class:`devices.codescanner.simulator.SerialScannerSim`):
``present_code(profile)`` has the back office issue an identity code for a card
profile's person (with the holder's photo) and shows it to the scanner, as a citizen
holds up their phone; ``scan_code(text)`` shows any text;

and in-process, the scenes of the two simulated cameras (files that the real
OpenCV driver's simulator source ``sim:dir:PATH`` shows; see
:mod:`simenv.scenes` for the photos, the matching card photo and the
scene names). It then writes ``<dir>/sim-overlay.yaml``, which points
``kiosk.config.model.load_config(overlays=(overlay,))`` at all of them: the real
drivers (:mod:`kiosk.wiring.devices`), the outbox (``<dir>/outbox.sqlite3``,
key ``<dir>/secrets/outbox.key``), the sender and the heartbeat run unchanged.

**The card photo and the face.** The overlay sets ``photo_decoder: sim-jpeg``;
``place_card(profile)`` puts the card holder's small JPEG into the card's
photo field (the simulator's *test* codec, never a WLT image), and
``camera_scene("camera", "holder")`` shows another photo of the same person,
``"other"`` somebody else: face verification succeeds or fails as it would.

**社保卡 (PC/SC).** The running ``pcscd`` (or one started here) with vpcd's
``Virtual PCD 00 01`` reader (vpcd's second slot, TCP 35964), and the
virtual card of ``devices.sscard`` in this
process (:mod:`simenv.pcsc`): ``place_sscard()`` / ``remove_sscard()``.
When pcscd cannot run, :attr:`SimEnvironment.sscard` says why, the overlay
leaves the reader as configured (the driver then reports it UNAVAILABLE with
its reason) and the environment still starts.

**Control** from tests (the methods below) and from outside (the kiosk's
developer panel, ``python -m simenv ctl ...``) through the JSON-lines
socket ``<run>/simenv.sock``. Everything stops on exit (SIGTERM, then SIGKILL
after a bound), also on exceptions. ``<run>`` is ``<dir>/run`` unless that path
is too long for a UNIX socket, then a short directory in /tmp.

CLI: ``python -m simenv up [--dir var/sim] [--site NAME] [--json]`` and
``python -m simenv ctl [--dir var/sim] place-card resident`` (see
:mod:`simenv.cli`).
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from devices.codescanner.simulator import SerialScannerSim
from kiosk.config.model import ROOT, KioskConfig, load_config, resolve
from kiosk.errors import SimulationError
from kiosk.fonts import FALLBACK_FACES
from kiosk.submission.crypto import create_key
from kiosk.submission.reference import simulated_prefix
from simenv.pcsc import PcscSim
from simenv.procs import (
    Child,
    ControlServer,
    child_environ,
    free_port,
    request_json,
    scene_dir,
    socket_answers,
)

if TYPE_CHECKING:
    from simenv.scenes import SceneKit

START_TIMEOUT_S = 60.0
#: Longest UNIX socket path we create (sun_path is 108 bytes on Linux).
MAX_SOCKET_PATH = 100
SAM_OK, SAM_NOT_AUTHORISED = 0x90, 0x66
#: printer_fault names -> the emulator's fault settings.
PRINTER_FAULTS: dict[str, dict[str, Any]] = {
    "paper_near_end": {"paper": "near_end"},
    "paper_out": {"paper": "out"},
    "paper_out_mid_job": {"paper_out_after": 400},
    "cover_open": {"cover": "open"},
    "offline": {"offline": True},
    "slow": {"slow_bps": 2000},
}
PRINTER_OK: dict[str, Any] = {"paper": "ok", "cover": "closed", "offline": False,
                              "slow_bps": None, "paper_out_after": None}
#: card_fault names that are simulator ops rather than injected faults.
CARD_OPS: dict[str, dict[str, Any]] = {
    "unplug": {"op": "unplug"},
    "replug": {"op": "replug"},
    "clear": {"op": "clear_faults"},
    "sam_unauthorised": {"op": "sam_status", "sw3": SAM_NOT_AUTHORISED},
    "sam_ok": {"op": "sam_status", "sw3": SAM_OK},
}
CARD_FAULTS = ("status", "bad_checksum", "truncate", "garbage", "delay", "silent",
               "remove_mid_read")


class SimEnvironment:
    def __init__(self, directory: Path | None = None, *, config_path: Path | None = None,
                 overlays: Sequence[Path] = (), site: str | None = None,
                 control_socket: bool = True,
                 start_timeout_s: float = START_TIMEOUT_S) -> None:
        self._own_dir = directory is None
        self.dir = Path(tempfile.mkdtemp(prefix="kiosk-sim-")) if directory is None \
            else Path(directory).resolve()
        self._config_path = config_path
        self._overlays = tuple(overlays)
        self.site = site
        self._want_control = control_socket
        self._timeout = start_timeout_s
        self.run_dir = self.dir / "run"
        self._own_run_dir = False
        self.log_dir = self.dir / "log"
        self.receipts_dir = self.dir / "receipts"
        self.overlay = self.dir / "sim-overlay.yaml"
        #: The reference prefix registered for the simulated terminal (set by start()).
        self.ref_prefix = ""
        self.secret_file = self.dir / "secrets" / "terminal.key"
        self.outbox_key = self.dir / "secrets" / "outbox.key"
        self.backoffice_port = 0
        self.printer_port = 0
        self.sscard: dict[str, Any] = {}
        self.base: KioskConfig | None = None
        self._children: dict[str, Child] = {}
        self._control: ControlServer | None = None
        self.scenes: SceneKit | None = None
        self._pcsc = PcscSim(self.log_dir)
        self._bo_env: dict[str, str] = {}
        self._codescanner: SerialScannerSim | None = None

    # -- paths -------------------------------------------------------------------------
    @property
    def idcard_link(self) -> Path:
        return self.run_dir / "idcard-tty"

    @property
    def idcard_socket(self) -> Path:
        return self.run_dir / "idcard.sock"

    @property
    def printer_socket(self) -> Path:
        return self.run_dir / "printer.sock"

    @property
    def codescanner_link(self) -> Path:
        return self.run_dir / "codescanner-tty"

    @property
    def control_socket(self) -> Path:
        return self.run_dir / "simenv.sock"

    @property
    def backoffice_url(self) -> str:
        return f"http://127.0.0.1:{self.backoffice_port}"

    @property
    def terminal_id(self) -> str:
        if self.base is None:
            raise SimulationError("the environment is not started")
        return self.base.terminal.id

    def config(self) -> KioskConfig:
        """The kiosk's configuration with the overlay: what the real drivers are given."""
        return load_config(self._config_path, (*self._overlays, self.overlay))

    # -- life cycle --------------------------------------------------------------------
    def __enter__(self) -> SimEnvironment:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> SimEnvironment:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def prepare(self) -> SimEnvironment:
        """What the kiosk's configuration needs, without starting a process: the
        directories, the outbox key, the terminal secret, the ports, and the overlay.
        ``scripts/run`` builds the kiosk on it and shows Home at once; :meth:`start`
        then starts the simulators, which the devices find when they come up."""
        if self.base is not None:
            return self
        base = self.base = load_config(self._config_path, self._overlays)
        if len(str(self.control_socket)) > MAX_SOCKET_PATH:
            self.run_dir = Path(tempfile.mkdtemp(prefix="ksim-", dir="/tmp"))
            self._own_run_dir = True
        for d in (self.run_dir, self.log_dir, self.receipts_dir, self.secret_file.parent):
            d.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.outbox_key.exists():
            create_key(self.outbox_key)
        if not self.secret_file.exists():  # registered with the back office by start()
            fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(secrets.token_hex(32) + "\n")
        # The emulator numbers jobs from 1 in each run: last run's PNGs would be overwritten.
        for old in self.receipts_dir.glob("job-*.png"):
            old.unlink()
        # Once per terminal id and directory: ``up --dir var/sim`` restarts quickly.
        # Each terminal is registered with its own reference prefix.
        self.ref_prefix = simulated_prefix(base.terminal.id)
        self.printer_port = free_port()
        self.backoffice_port = free_port()
        self.sscard = self._pcsc.expected()
        self._write_overlay(base)
        return self

    def _start(self) -> None:
        base = self.prepare().base
        assert base is not None
        from simenv.scenes import SceneKit  # OpenCV and NumPy: not before the kiosk's Home
        self.scenes = SceneKit(self.dir, {
            "camera": (base.devices.camera.width, base.devices.camera.height),
            "doccam": (base.devices.doccam.width, base.devices.doccam.height)})
        # BACKOFFICE_FOLLOW_SEED: the local back office serves the repository's catalog and
        # site profiles as they are now (published again at start when edited).
        bo_env = self._bo_env = child_environ({"BACKOFFICE_DATA_DIR": str(self.dir / "backoffice"),
                                "BACKOFFICE_CATALOG_DIR": str(self._catalog_dir(base)),
                                "BACKOFFICE_FOLLOW_SEED": "1"},
                               drop=("DATABASE_URL", "BACKOFFICE_STAFF_TOKEN"))
        # Everything that takes an interpreter start at once; provisioning first
        # only where the server needs it (one process creates the schema).
        provision = None
        marker = self.dir / "backoffice" / f".terminal-{base.terminal.id}-{self.ref_prefix}"
        if not (self.secret_file.exists() and marker.exists()):
            provision = Child("backoffice-provision", "backoffice.cli",
                              ["terminal", "add", base.terminal.id, "--secret-file",
                               str(self.secret_file), "--prefix", self.ref_prefix],
                              log_dir=self.log_dir, env=bo_env).start()
        self._spawn("idcard", "devices.idcard.simulator",
                    ["--link", str(self.idcard_link), "--control", str(self.idcard_socket),
                     "--baud", str(base.devices.idcard.baud)])
        self._spawn("printer", "devices.printer.emulator",
                    ["--port", str(self.printer_port), "--out", str(self.receipts_dir),
                     "--control", str(self.printer_socket),
                     "--paper", str(base.devices.printer.paper_mm),
                     *(arg for face in FALLBACK_FACES for arg in ("--font", str(face.path)))])
        self.scenes.start()
        self._codescanner = SerialScannerSim(self.codescanner_link)
        self._codescanner.plug()
        if provision is not None:
            self._finish(provision)
            marker.touch()
        self._children["backoffice"] = Child(
            "backoffice", "backoffice.cli",
            ["serve", "--host", "127.0.0.1", "--port", str(self.backoffice_port)],
            log_dir=self.log_dir, env=bo_env)
        self._children["backoffice"].start()
        expected = self.sscard
        self.sscard = self._pcsc.start()
        if self.sscard.get("available") != expected.get("available"):
            self._write_overlay(base)  # for whoever reads the overlay from now on
        self._children["idcard"].wait_ready(
            lambda: socket_answers(self.idcard_socket, {"op": "state"}), self._timeout)
        self._children["printer"].wait_ready(
            lambda: socket_answers(self.printer_socket, {"op": "status"}), self._timeout)
        self._wait_backoffice()
        if self._want_control:
            from simenv.cli import dispatch  # the op table lives with the CLI

            self._control = ControlServer(self.control_socket, lambda r: dispatch(self, r))

    def stop(self) -> None:
        """Stop everything we started (idempotent; never raises for a dead child)."""
        if self._control is not None:
            self._control.close()
            self._control = None
        self._pcsc.stop()
        if self._codescanner is not None:
            self._codescanner.unplug()
            self._codescanner = None
        for name in reversed(list(self._children)):
            self._children.pop(name).stop()
        if self._own_run_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)
        if self._own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def _spawn(self, name: str, module: str, args: list[str]) -> Child:
        child = Child(name, module, args, log_dir=self.log_dir)
        self._children[name] = child
        return child.start()

    def _finish(self, child: Child) -> None:
        code = child.wait_exit(self._timeout)
        if code != 0:
            raise SimulationError(f"{child.name} failed ({code}):\n{child.log_tail()}")

    @staticmethod
    def _catalog_dir(base: KioskConfig) -> Path:
        return resolve(base.catalog_dir)

    def _wait_backoffice(self) -> None:
        import requests  # not before the kiosk's Home (scripts/run prepares first)

        url = self.backoffice_url + "/api/v1/health"

        def healthy() -> bool:
            # A refused connect costs microseconds; an HTTP request through requests
            # about 10 ms of CPU, which the starting children need on a small machine.
            try:
                socket.create_connection(("127.0.0.1", self.backoffice_port), 0.5).close()
            except OSError:
                return False
            try:
                return requests.get(url, timeout=1).ok
            except requests.RequestException:
                return False

        self._children["backoffice"].wait_ready(healthy, self._timeout)

    def _write_overlay(self, base: KioskConfig) -> None:
        data: dict[str, Any] = {
            "terminal": {"data_dir": str(self.dir), "ref_prefix": self.ref_prefix,
                         "simulated": True},
            "devices": {
                "idcard": {"driver": "sam-serial", "port": str(self.idcard_link),
                           "photo_decoder": "sim-jpeg"},
                "printer": {"driver": "network", "host": "127.0.0.1",
                            "port": self.printer_port, "status": True},
                "camera": {"driver": "opencv",
                           "source": f"sim:dir:{self._scene_dir('camera')}"},
                "doccam": {"driver": "opencv",
                           "source": f"sim:dir:{self._scene_dir('doccam')}"},
                "scanner": {"driver": "doccam"},
                "codescanner": {"driver": "serial", "port": str(self.codescanner_link)},
            },
            "backoffice": {"url": self.backoffice_url, "secret_file": str(self.secret_file)},
            "outbox": {"path": str(self.dir / "outbox.sqlite3"),
                       "key_file": str(self.outbox_key)},
        }
        if self.sscard.get("available"):
            data["devices"]["sscard"] = {"driver": "pcsc", "reader": self.sscard["reader"]}
        if self.site:
            data["terminal"]["site_profile"] = self.site
        tmp = self.overlay.with_suffix(".tmp")
        tmp.write_text("# Written by simenv.environment: the simulated devices and back office.\n"
                       + yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        tmp.replace(self.overlay)

    def _scene_dir(self, kind: str) -> Path:
        """Where the camera simulator reads ``kind``'s frames (SceneKit writes them)."""
        return scene_dir(self.dir, kind)

    # -- control API ---------------------------------------------------------------------
    def _idcard(self, **msg: Any) -> dict[str, Any]:
        answer = request_json(self.idcard_socket, msg)
        if not answer.get("ok"):
            raise SimulationError(f"idcard simulator: {answer.get('error')}")
        return answer

    def _printer(self, **msg: Any) -> dict[str, Any]:
        answer = request_json(self.printer_socket, msg)
        if not answer.get("ok"):
            raise SimulationError(f"printer emulator: {answer.get('error')}")
        return answer

    def place_card(self, profile: str = "resident", *, photo: bool = True) -> dict[str, Any]:
        """Lay a card of a built-in profile on the reader (with the holder's test photo)."""
        msg: dict[str, Any] = {"op": "place", "profile": profile}
        if photo and self.scenes is not None:
            self.scenes.wait_prepared()
            if self.scenes.card_photo is not None:
                msg["photo_jpeg"] = str(self.scenes.card_photo)
        return self._idcard(**msg)

    def remove_card(self) -> dict[str, Any]:
        return self._idcard(op="remove")

    def card_fault(self, name: str, **params: Any) -> dict[str, Any]:
        """``unplug``, ``replug``, ``clear``, ``sam_unauthorised``, ``sam_ok``, or a fault
        kind of the simulator (``status``, ``silent``, ... with ``command=``, ``count=``)."""
        if name in CARD_OPS:
            return self._idcard(**CARD_OPS[name])
        if name not in CARD_FAULTS:
            raise SimulationError(f"unknown card fault {name!r} "
                                  f"({', '.join([*CARD_OPS, *CARD_FAULTS])})")
        return self._idcard(op="fault", kind=name, **params)

    def place_sscard(self) -> None:
        """Insert the virtual 社保卡 into vpcd's reader (SimulationError if there is none)."""
        self._pcsc.place()

    def remove_sscard(self) -> None:
        self._pcsc.remove()

    def printer_fault(self, name: str) -> dict[str, Any]:
        if name not in PRINTER_FAULTS:
            raise SimulationError(f"unknown printer fault {name!r} ({', '.join(PRINTER_FAULTS)})")
        return self._printer(op="faults", **PRINTER_FAULTS[name])

    def printer_ok(self) -> dict[str, Any]:
        return self._printer(op="faults", **PRINTER_OK)

    def camera_scene(self, kind: str, name: str) -> Path:
        if self.scenes is None:
            raise SimulationError("the environment is not started")
        return self.scenes.set_scene(kind, name)

    def backoffice_down(self) -> None:
        """Stop the back-office process (same port and database when it comes back)."""
        child = self._children.get("backoffice")
        if child is not None:
            child.stop()

    def backoffice_up(self) -> None:
        child = self._children.get("backoffice")
        if child is None:
            raise SimulationError("the environment is not started")
        if not child.running:
            child.start()
            self._wait_backoffice()

    def backoffice_cli(self, *args: str, timeout_s: float = 120.0) -> str:
        """Run ``python -m backoffice.cli ARGS`` on this environment's database (staff
        commands, ``terminal list``) and return its output; SimulationError on failure."""
        done = subprocess.run([sys.executable, "-m", "backoffice.cli", *args], cwd=ROOT,
                              env=self._bo_env, capture_output=True, text=True,
                              timeout=timeout_s, check=False)
        if done.returncode != 0:
            raise SimulationError(f"backoffice.cli {' '.join(args)}: {done.stderr[-500:]}")
        return done.stdout

    # -- 亮码 ------------------------------------------------------------------------------
    def issue_code(self, profile: str = "resident", *, ttl_s: int = 90,
                   photo: bool = True) -> str:
        """An identity code from the back office for the person of a card profile (the
        holder's photo with it, for the face check), as the platform gives a citizen."""
        from devices.idcard.profiles import builtin_profiles

        card = builtin_profiles().get(profile)
        if card is None:
            raise SimulationError(f"unknown card profile {profile!r}")
        f = card.fields
        args = ["identity-code", "issue", "--id-number", f["id_number"], "--name", f["name"],
                "--sex", f.get("sex", "0"), "--nation", f.get("nation", ""),
                "--address", f.get("address", ""), "--card-type", card.card_type.value,
                "--ttl", str(ttl_s)]
        if f.get("birth"):
            args += ["--birth", _iso(f["birth"])]
        valid_to = f.get("valid_to", "")
        if valid_to and valid_to.isdigit():
            args += ["--valid-to", _iso(valid_to)]
        elif valid_to:
            args.append("--long-term")
        if photo and self.scenes is not None:
            self.scenes.wait_prepared()
            if self.scenes.card_photo is not None:
                args += ["--photo", str(self.scenes.card_photo)]
        return self.backoffice_cli(*args).strip()

    def scan_code(self, text: str) -> None:
        """The scanner reads ``text`` (an identity code, or any other QR or barcode)."""
        if self._codescanner is None:
            raise SimulationError("the environment is not started")
        self._codescanner.present(text)

    def present_code(self, profile: str = "resident", *, ttl_s: int = 90,
                     photo: bool = True) -> str:
        """A citizen holds up a fresh identity code: issued, then read by the scanner."""
        code = self.issue_code(profile, ttl_s=ttl_s, photo=photo)
        self.scan_code(code)
        return code

    def scanner_fault(self, name: str) -> None:
        """``partial`` (half a code, then silence), ``garbage``, ``unplug``, ``plug``."""
        sim = self._codescanner
        if sim is None:
            raise SimulationError("the environment is not started")
        actions = {"partial": lambda: sim.partial("ZJID1." + "x" * 32),
                   "garbage": sim.garbage, "unplug": sim.unplug, "plug": sim.plug}
        if name not in actions:
            raise SimulationError(f"unknown scanner fault {name!r} ({', '.join(actions)})")
        actions[name]()

    def receipts(self) -> list[Path]:
        """Rendered receipts, oldest first (``job-NNNN.png``; ``-incomplete`` when cut short)."""
        return sorted(self.receipts_dir.glob("job-*.png"))

    def describe(self) -> dict[str, Any]:
        """Where everything is: what ``up`` prints and ``state`` answers."""
        children = {name: {"pid": c.pid, "running": c.running, "log": str(c.log)}
                    for name, c in self._children.items()}
        return {
            "dir": str(self.dir), "overlay": str(self.overlay),
            "control": str(self.control_socket) if self._control else None,
            "idcard": {"port": str(self.idcard_link), "control": str(self.idcard_socket)},
            "codescanner": {"port": str(self.codescanner_link)},
            "printer": {"host": "127.0.0.1", "port": self.printer_port,
                        "control": str(self.printer_socket), "receipts": str(self.receipts_dir)},
            "cameras": {k: {"dir": str(self._scene_dir(k)),
                            "scene": self.scenes.current.get(k) if self.scenes else None}
                        for k in ("camera", "doccam")},
            "backoffice": {"url": self.backoffice_url, "secret_file": str(self.secret_file),
                           "data_dir": str(self.dir / "backoffice")},
            "sscard": self.sscard,
            "processes": children,
        }


def _iso(yyyymmdd: str) -> str:
    return f"{yyyymmdd[:4]}-{yyyymmdd[4:6]}-{yyyymmdd[6:8]}"
