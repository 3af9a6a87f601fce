"""``scripts/diagnose all [--json]``: the technician's checks from a shell.

Builds the devices the way the app does (``kiosk.wiring.devices``), opens each,
collects its ``diagnostics()`` and closes it; then checks the back office
(``GET /api/v1/health``: reachability and clock skew, which the back office
refuses beyond 300 s), the outbox's counts, the technician PIN lockout and the
log file. Prints a table or JSON. The whole
output goes through :func:`kiosk.privacy.redact`, so no full ID number can be
printed even if a driver's diagnostics carried one.

Exit status: 0 all good, 1 something needs attention, 2 unusable configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from devices.base import Device
from kiosk.clock import Clock, SystemClock
from kiosk.config.model import KioskConfig, load_config
from kiosk.errors import ConfigError, KioskError
from kiosk.privacy import redact
from kiosk.wiring.devices import DeviceSet, build_device_map

DeviceFactory = Callable[[KioskConfig, Clock], Mapping[str, Device]]
#: Beyond this the back office refuses our signatures (backoffice/API.md).
SKEW_LIMIT_S = 300.0
#: Worth a technician's look well before signatures fail.
SKEW_WARN_S = 30.0


def app_device_factory() -> DeviceFactory:
    """The devices exactly as the kiosk builds them: ``kiosk.wiring.devices`` (site
    profile, ``driver: none`` and missing libraries as UNAVAILABLE entries)."""
    return build_device_map


def check_devices(config: KioskConfig, clock: Clock,
                  factory: DeviceFactory | None) -> dict[str, Any]:
    if factory is None:
        return {"_": {"ok": False, "problem": "no device factory given"}}
    devices = factory(config, clock)
    if isinstance(devices, DeviceSet):
        # All at once, then a bounded wait for each first status: the card
        # reader's polling thread only knows its state after its first poll.
        devices.open_all()
        try:
            return {kind: {**diag, "ok": devices[kind].status.ready}
                    for kind, diag in devices.diagnostics().items()}
        finally:
            devices.close_all()
    out: dict[str, Any] = {}
    for kind, device in devices.items():
        try:
            device.open()  # never raises by contract: failures set UNAVAILABLE
            diag = device.diagnostics()
            diag["ok"] = device.status.ready
        except KioskError as exc:
            diag = {"ok": False, "problem": f"{type(exc).__name__}: {exc}"}
        finally:
            device.close()
        out[kind] = diag
    return out


def check_backoffice(config: KioskConfig, clock: Clock,
                     client_factory: Callable[[], Any] | None = None) -> dict[str, Any]:
    if not config.backoffice.url and client_factory is None:
        return {"ok": False, "configured": False,
                "problem": "backoffice.url is empty (scripts/run starts a local one)"}
    try:
        if client_factory is not None:
            client = client_factory()
        else:
            from kiosk.submission.client import BackofficeClient
            client = BackofficeClient.from_config(config, clock=clock)
        try:
            server_time, skew = client.health()
        finally:
            client.close()
    except KioskError as exc:
        return {"ok": False, "configured": True, "reachable": False,
                "problem": f"{type(exc).__name__}: {exc}"}
    result: dict[str, Any] = {"ok": abs(skew) < SKEW_WARN_S, "configured": True,
                              "reachable": True, "server_time": server_time.isoformat(),
                              "clock_skew_s": round(skew, 3)}
    if abs(skew) >= SKEW_LIMIT_S:
        result["problem"] = "clock skew beyond 300 s: the back office refuses requests"
    elif abs(skew) >= SKEW_WARN_S:
        result["problem"] = "clock skew over 30 s: check NTP"
    return result


def check_outbox(config: KioskConfig, clock: Clock) -> dict[str, Any]:
    from kiosk.submission.outbox import Outbox

    try:
        with Outbox.from_config(config, clock=clock) as outbox:
            stats = outbox.stats().to_dict()
    except KioskError as exc:
        return {"ok": False, "problem": f"{type(exc).__name__}: {exc}"}
    stats["ok"] = stats["refused"] == 0 and bool(stats["accepting"])
    return stats


def check_technician(config: KioskConfig, clock: Clock) -> dict[str, Any]:
    from kiosk.technician.gate import PinGate

    if not config.technician.pin_hash:
        return {"ok": True, "pin_set": False}
    try:
        gate = PinGate.from_config(config, clock)
        return {"ok": True, "pin_set": True, "locked_for_s": round(gate.remaining_s()),
                "wrong_pins": gate.failures()}
    except KioskError as exc:
        return {"ok": False, "pin_set": True, "problem": str(exc)}


def check_logs(config: KioskConfig) -> dict[str, Any]:
    from kiosk.logging_setup import log_files

    log_dir = config.terminal.data_path() / "log"
    files = log_files(log_dir) if log_dir.is_dir() else []
    return {"ok": True, "dir": str(log_dir), "files": len(files),
            "bytes": sum(p.stat().st_size for p in files)}


def check_fleet(config: KioskConfig) -> dict[str, Any]:
    """What catalog and settings the kiosk runs on (kiosk/fleet/): the state the running
    kiosk wrote, else the last good copy kept; a kiosk with a back office that has
    neither runs on the sample catalog of config/catalog, and this says so."""
    from kiosk.fleet.files import read_json
    from kiosk.fleet.sync import read_catalog_copy

    if not config.backoffice.url:
        return {"ok": True, "catalog_source": "sample",
                "note": "no back office configured: the sample catalog of config/catalog"}
    root = config.terminal.data_path() / "fleet"
    state = read_json(root / "state.json")
    if state is not None:
        result = {k: state.get(k) for k in ("catalog_version", "catalog_source",
                                            "settings_version", "maintenance",
                                            "maintenance_reason", "problems", "ok")}
    else:
        kept = read_catalog_copy(root / "catalog.json")
        result = {"ok": kept is not None,
                  "catalog_source": "cached" if kept is not None else "sample",
                  "catalog_version": kept.version if kept is not None else None}
    if result.get("catalog_source") == "sample":
        result["ok"] = False
        result["note"] = ("running on the sample catalog of config/catalog: no catalog from "
                          "the back office has been received or kept yet")
    return result


def collect(config: KioskConfig, *, clock: Clock, factory: DeviceFactory | None = None,
            client_factory: Callable[[], Any] | None = None,
            with_devices: bool = True) -> dict[str, Any]:
    report: dict[str, Any] = {
        "terminal": {"id": config.terminal.id, "site_profile": config.terminal.site_profile},
        "time": clock.now().isoformat(),
    }
    if with_devices:
        report["devices"] = check_devices(config, clock, factory)
    report["backoffice"] = check_backoffice(config, clock, client_factory)
    report["outbox"] = check_outbox(config, clock)
    report["technician"] = check_technician(config, clock)
    report["fleet"] = check_fleet(config)
    report["logs"] = check_logs(config)
    return report


def problems(report: Mapping[str, Any]) -> list[str]:
    found = []
    for section in ("backoffice", "outbox", "technician", "logs", "fleet"):
        if not report.get(section, {}).get("ok", True):
            found.append(section)
    for kind, diag in report.get("devices", {}).items():
        if not diag.get("ok", False):
            found.append(f"device {kind}")
    return found


def _flat(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for k, v in value.items():
            _flat(f"{prefix}.{k}" if prefix else str(k), v, out)
    else:
        out.append((prefix, json.dumps(value, ensure_ascii=False)
                    if not isinstance(value, str) else value))


def render_table(report: Mapping[str, Any]) -> str:
    lines: list[str] = []
    for section, value in report.items():
        if not isinstance(value, Mapping):
            lines.append(f"{section}: {value}")
            continue
        rows: list[tuple[str, str]] = []
        _flat("", value, rows)
        lines.append(f"[{section}]")
        width = max((len(k) for k, _ in rows), default=0)
        lines.extend(f"  {k.ljust(width)}  {v}" for k, v in rows)
    bad = problems(report)
    lines.append("RESULT: " + ("all good" if not bad else "attention: " + ", ".join(bad)))
    return "\n".join(lines)


def render(report: Mapping[str, Any], *, as_json: bool) -> str:
    text = (json.dumps(report, ensure_ascii=False, indent=2, default=str) if as_json
            else render_table(report))
    return redact(text)


def main(argv: Sequence[str] | None = None, *, clock: Clock | None = None,
         factory: DeviceFactory | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/diagnose all",
                                     description="Check devices, back office and outbox.")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--config", action="append", default=[], type=Path,
                        help="overlay config file(s), as given to scripts/run")
    parser.add_argument("--no-devices", action="store_true",
                        help="skip opening devices (e.g. while the kiosk holds them)")
    args = parser.parse_args(argv)
    clock = clock or SystemClock()
    try:
        config = load_config(overlays=tuple(args.config))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    report = collect(config, clock=clock, factory=factory or app_device_factory(),
                     with_devices=not args.no_devices)
    print(render(report, as_json=args.json))
    return 1 if problems(report) else 0


if __name__ == "__main__":
    raise SystemExit(main())
