"""``python -m simenv up|ctl``: run the simulated terminal, and control a running one.

::

    python -m simenv up [--dir var/sim] [--site NAME] [--config FILE]... [--json]
        starts everything, prints where it is (``--json``: one JSON line, also written
        to <dir>/simenv.json), and runs until SIGINT/SIGTERM
    python -m simenv ctl [--dir var/sim] COMMAND [ARGS]
        place-card [PROFILE] [--no-photo] | remove-card | card-fault NAME |
        place-sscard | remove-sscard |
        printer-fault NAME | printer-ok | camera-scene KIND NAME |
        present-code [PROFILE] | issue-code [PROFILE] | scan-code TEXT | scanner-fault NAME |
        backoffice-down | backoffice-up | receipts | state

The control socket (``<run>/simenv.sock``, path in simenv.json) takes one JSON
object per line, ``{"op": "place_card", "profile": "resident"}``, and answers
one line ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``; the kiosk's
developer panel can speak it directly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devices.simcontrol import StopSignal
from kiosk.config.model import resolve
from kiosk.errors import KioskError, SimulationError
from simenv.procs import request_json

if TYPE_CHECKING:
    from simenv.environment import SimEnvironment

DEFAULT_DIR = "var/sim"


def dispatch(env: SimEnvironment, request: dict[str, Any]) -> dict[str, Any]:
    """Carry out one control request on ``env`` (the socket server calls this)."""
    op = request.get("op")
    result: Any = None
    if op == "place_card":
        result = env.place_card(str(request.get("profile", "resident")),
                                photo=bool(request.get("photo", True)))
    elif op == "remove_card":
        result = env.remove_card()
    elif op == "card_fault":
        params = {k: v for k, v in request.items() if k not in ("op", "name")}
        result = env.card_fault(str(request["name"]), **params)
    elif op == "place_sscard":
        env.place_sscard()
    elif op == "remove_sscard":
        env.remove_sscard()
    elif op == "printer_fault":
        result = env.printer_fault(str(request["name"]))
    elif op == "printer_ok":
        result = env.printer_ok()
    elif op == "camera_scene":
        result = str(env.camera_scene(str(request["kind"]), str(request["name"])))
    elif op == "present_code":  # 亮码: the answer does not repeat the code (a credential)
        env.present_code(str(request.get("profile", "resident")),
                         ttl_s=int(request.get("ttl_s", 90)),
                         photo=bool(request.get("photo", True)))
        result = {"presented": True, "ttl_s": int(request.get("ttl_s", 90))}
    elif op == "issue_code":
        result = env.issue_code(str(request.get("profile", "resident")),
                                ttl_s=int(request.get("ttl_s", 90)),
                                photo=bool(request.get("photo", True)))
    elif op == "scan_code":
        env.scan_code(str(request["text"]))
    elif op == "scanner_fault":
        env.scanner_fault(str(request["name"]))
    elif op == "backoffice_down":
        env.backoffice_down()
    elif op == "backoffice_up":
        env.backoffice_up()
    elif op == "receipts":
        result = [str(p) for p in env.receipts()]
    elif op == "state":
        result = env.describe()
    else:
        raise SimulationError(f"unknown op {op!r}")
    return {"ok": True, "result": result}


def _up(args: argparse.Namespace) -> int:
    from simenv.environment import SimEnvironment

    directory = resolve(args.dir)
    sock = directory / "run" / "simenv.sock"
    if sock.exists():
        try:
            request_json(sock, {"op": "state"}, timeout_s=2.0)
        except OSError:
            pass  # a stale socket of an environment that died
        else:
            print(f"an environment is already running in {directory}", file=sys.stderr)
            return 1
    stop = StopSignal()
    with SimEnvironment(directory, overlays=tuple(args.config), site=args.site) as env:
        info = env.describe()
        (directory / "simenv.json").write_text(json.dumps(info, ensure_ascii=False, indent=2))
        if args.json:
            print(json.dumps(info, ensure_ascii=False), flush=True)
        else:
            print(f"overlay:    {info['overlay']}\ncontrol:    {info['control']}\n"
                  f"idcard:     {info['idcard']['port']} (control {info['idcard']['control']})\n"
                  f"printer:    127.0.0.1:{info['printer']['port']} (control "
                  f"{info['printer']['control']}), receipts in {info['printer']['receipts']}\n"
                  f"backoffice: {info['backoffice']['url']}\n"
                  f"sscard:     {info['sscard'].get('reason')}: {info['sscard'].get('detail')}\n"
                  f"run the kiosk with: scripts/run --config {info['overlay']}", flush=True)
        stop.wait()
    (directory / "simenv.json").unlink(missing_ok=True)
    return 0


def _ctl_request(args: argparse.Namespace) -> dict[str, Any]:
    words = [w.replace("-", "_") for w in args.command[:1]] + list(args.command[1:])
    if not words:
        raise SimulationError("no command given")
    op, rest = words[0], words[1:]
    request: dict[str, Any] = {"op": op}
    if op == "place_card" or op in ("present_code", "issue_code"):
        request["profile"] = rest[0] if rest else "resident"
        request["photo"] = not args.no_photo
    elif op == "scan_code":
        if len(rest) != 1:
            raise SimulationError("scan-code needs TEXT (what the scanner reads)")
        request["text"] = rest[0]
    elif op in ("card_fault", "printer_fault", "scanner_fault"):
        if not rest:
            raise SimulationError(f"{op.replace('_', '-')} needs a NAME")
        request["name"] = rest[0]
    elif op == "camera_scene":
        if len(rest) != 2:
            raise SimulationError("camera-scene needs KIND NAME (camera|doccam, scene)")
        request["kind"], request["name"] = rest
    return request


def _ctl(args: argparse.Namespace) -> int:
    sock = resolve(args.dir) / "run" / "simenv.sock"
    info = resolve(args.dir) / "simenv.json"
    if info.exists():  # the run directory may be a short one in /tmp
        sock = Path(json.loads(info.read_text()).get("control") or sock)
    try:
        answer = request_json(sock, _ctl_request(args), timeout_s=120.0)
    except OSError as err:
        print(f"no environment answers on {sock}: {err}", file=sys.stderr)
        return 1
    print(json.dumps(answer, ensure_ascii=False, indent=2))
    return 0 if answer.get("ok") else 1


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simenv",
                                description="The simulated terminal (devices and back office).")
    sub = p.add_subparsers(dest="cmd", required=True)
    up = sub.add_parser("up", help="start everything and wait for SIGINT/SIGTERM")
    up.add_argument("--dir", default=DEFAULT_DIR, help="environment directory (var/sim)")
    up.add_argument("--site", help="site profile to write into the overlay")
    up.add_argument("--config", action="append", type=Path, default=[],
                    help="config overlay(s) the environment starts from")
    up.add_argument("--json", action="store_true", help="print one JSON line")
    ctl = sub.add_parser("ctl", help="control a running environment")
    ctl.add_argument("--dir", default=DEFAULT_DIR)
    ctl.add_argument("--no-photo", action="store_true",
                     help="place-card (present-code, issue-code) without a photo")
    ctl.add_argument("command", nargs="+", help="e.g. place-card resident")
    args = p.parse_args(argv)
    try:
        return _up(args) if args.cmd == "up" else _ctl(args)
    except KioskError as err:
        print(f"simenv: {err}", file=sys.stderr)
        return 1
