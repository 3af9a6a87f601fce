"""``scripts/diagnose KIND``: the configuration read, the device kind's check run.

Each device kind's ``diagnose.py`` supplies ``check(...)`` over explicit settings
(ports, readers, sources) and knows nothing of the kiosk configuration; the
runners here read the configuration and the command line, and this
prints the report as JSON (``--json``) or as aligned ``key: value`` lines, always
through :func:`kiosk.privacy.redact` so no full ID number reaches a technician's
terminal or a ticket, and turns a configuration error into exit code 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kiosk.clock import SystemClock
from kiosk.config.model import load_config, load_site
from kiosk.errors import ConfigError, DeviceError, DeviceUnavailable
from kiosk.face.engine import FaceEngine, find_model_files
from kiosk.fonts import FALLBACK_FACES
from kiosk.privacy import redact
from kiosk.receipts import ReceiptCatalog, TestPageInput, build_test_page

Runner = Callable[[list[str]], tuple[int, dict[str, Any]]]


def report_main(run: Runner, argv: list[str] | None = None, *,
                keys: Sequence[str] | None = None, width: int = 14) -> int:
    """Run a device check and print its report; ``keys`` picks and orders the text lines."""
    args = sys.argv[1:] if argv is None else argv
    try:
        code, report = run(args)
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    if "--json" in args:
        print(redact(json.dumps(report, ensure_ascii=False, indent=2)))
        return code
    if keys is None:  # every line, in the report's order ("card: None" says no card)
        lines = list(report.items())
    else:  # the chosen lines that have something to say
        lines = [(k, report[k]) for k in keys if report.get(k) not in ("", None)]
    for key, value in lines:
        print(redact(f"{key:>{width}}: {value}"))
    return code


# -- the kinds: configuration in, the device kind's check out ----------------------
def _parser(kind: str, doc: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"scripts/diagnose {kind}", description=doc)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--config", type=Path, action="append", default=[],
                   help="config overlay (may repeat)")
    return p


def run_idcard(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``scripts/diagnose idcard [--json] [--port P] [--wait S]``: the SAM reader, step by step."""
    from devices.idcard import diagnose

    p = _parser("idcard", run_idcard.__doc__ or "")
    p.add_argument("--port", help="serial port (overrides the config; 'auto' probes)")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a card")
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config)).devices.idcard
    if args.port:
        config = config.model_copy(update={"port": args.port})
    return diagnose.check(config, wait=args.wait, clock=SystemClock())


def run_sscard(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``scripts/diagnose sscard [--json] [--reader NAME] [--wait S]``: the PC/SC side."""
    from devices.sscard import diagnose

    p = _parser("sscard", run_sscard.__doc__ or "")
    p.add_argument("--reader", help="substring of the reader name (overrides the config)")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a card")
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config)).devices.sscard
    wanted = config.reader if args.reader is None else args.reader
    return diagnose.check(wanted, wait=args.wait)


def run_codescanner(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``scripts/diagnose codescanner [--json] [--port P | --input PATH] [--wait S]``:
    the QR/barcode scanner (亮码), opened and waiting for one code."""
    from devices.codescanner import diagnose

    p = _parser("codescanner", run_codescanner.__doc__ or "")
    p.add_argument("--port", help="serial port (selects the serial driver)")
    p.add_argument("--input", help="input event node of a keyboard-wedge scanner")
    p.add_argument("--wait", type=float, default=5.0, help="seconds to wait for a code")
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config)).devices.codescanner
    if args.port:
        config = config.model_copy(update={"driver": "serial", "port": args.port})
    if args.input:
        config = config.model_copy(update={"driver": "evdev", "input_path": args.input})
    return diagnose.check(config, wait=args.wait, clock=SystemClock())


def run_printer(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``scripts/diagnose printer [--json]``: status, profile, and a test page.

    Exit status: 0 printed (or ready with ``--no-print``), 1 the printer needs
    attention, 2 unusable configuration.
    """
    from devices.printer import diagnose
    from devices.printer.base import ReceiptPrinter
    from devices.printer.document import Document

    p = _parser("printer", run_printer.__doc__ or "")
    p.add_argument("--no-print", action="store_true", help="status only, no test page")
    p.add_argument("--mode", choices=("text", "raster", "auto"), help="override the mode")
    p.add_argument("--rare", action="store_true",
                   help="add 䶮 𠮷 𡈼 𪚥 to the page (raster in auto)")
    p.add_argument("--lang", default="zh_CN", choices=("zh_CN", "en"))
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config))
    clock = SystemClock()

    def page(printer: ReceiptPrinter) -> Document:
        return build_test_page(TestPageInput(
            terminal_id=config.terminal.id, printer_name=printer.transport_name(),
            printed_at=clock.now(), profile_lines=(printer.profile.describe(),),
            include_rare=args.rare, qr_payload=config.devices.printer.query_base_url),
            ReceiptCatalog(args.lang))

    return diagnose.check(config.devices.printer, clock=clock,
                          test_page=None if args.no_print else page, mode=args.mode,
                          fallback_fonts=FALLBACK_FACES)


def run_camera(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``scripts/diagnose camera [--json]``: can the kiosk see through its cameras?

    Probes the face camera (or ``--which doccam``) and, for the face camera,
    checks that the face models load. Exit status: 0 ok, 1 needs attention,
    2 bad configuration.
    """
    from devices.camera import diagnose

    p = _parser("camera", run_camera.__doc__ or "")
    p.add_argument("--which", choices=("camera", "doccam"), default="camera")
    p.add_argument("--source", help="override the configured source (e.g. 0, sim:doc:1)")
    p.add_argument("--frames", type=int, default=25)
    p.add_argument("--seconds", type=float, default=5.0)
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config))
    section = getattr(config.devices, args.which)
    if args.source is not None:
        section = section.model_copy(update={"source": args.source})
    report = diagnose.check(section, name=args.which, frames=args.frames,
                            seconds=args.seconds, clock=SystemClock())
    if args.which == "camera" and section.driver != "none":
        report["face_models"] = face_models()
        report["ok"] = report["ok"] and report["face_models"]["ok"]
    return (0 if report["ok"] else 1), report


def face_models() -> dict[str, Any]:
    try:
        files = find_model_files()
        FaceEngine(files)
    except DeviceUnavailable as error:
        return {"ok": False, "problem": str(error)}
    return {"ok": True, "detector": files.detector[0].name,
            "recognizer": files.recognizer[0].name}


def run_audio(argv: list[str]) -> tuple[int, dict[str, Any]]:
    """``scripts/diagnose audio [--json] [--lang L] [--key KEY]``: can citizens hear the
    voice prompts? Synthesizes one prompt with espeak-ng, measures it (not empty, not
    silent), and plays it when the terminal has an audio output. Exit status: 0 heard,
    1 needs attention (no espeak-ng, a silent prompt, no audio output: the texts stay
    on screen either way), 2 bad configuration."""
    from kiosk.i18n.translate import Translator
    from kiosk.voice.player import SoxPlayer
    from kiosk.voice.synth import EspeakSynth
    from kiosk.voice.wav import read_wav

    p = _parser("audio", run_audio.__doc__ or "")
    p.add_argument("--lang", default=None, help="language (default: the site's)")
    p.add_argument("--key", default="workflow.identity.place_card", help="the prompt to say")
    args = p.parse_args(argv)
    config = load_config(overlays=tuple(args.config))
    site = load_site(config)
    lang = args.lang or site.default_language
    text = Translator(lang).gettext(args.key)
    report: dict[str, Any] = {"site_voice": "on" if site.voice.enabled else "off (长辈版 on)",
                              "lang": lang, "prompt": args.key}
    synth = EspeakSynth(cache_dir=config.terminal.data_path() / "voice")
    ok, problem = synth.available()
    report["synth"] = "espeak-ng" if ok else problem
    if not ok:
        report["ok"] = False
        return 1, report
    try:
        wav = synth.synthesize(text, lang, site.voice.rate)
        info = read_wav(wav)
    except DeviceError as error:
        report.update(wav=str(error), ok=False)
        return 1, report
    report["wav"] = f"{info.duration_s:.2f} s, peak {info.peak:.2f}" + \
        (" (silent!)" if info.silent else "")
    player = SoxPlayer()
    present, why = player.available()
    report["output"] = "ready" if present else why
    if present:
        try:
            player.play(wav, site.voice.volume)
            report["played"] = True
        except DeviceError as error:
            report["played"] = str(error)
    report["ok"] = not info.silent and present and report.get("played") is True
    return (0 if report["ok"] else 1), report


#: kind -> (runner, the text lines in order or None for all, key column width)
KINDS: dict[str, tuple[Runner, tuple[str, ...] | None, int]] = {
    "idcard": (run_idcard, None, 14),
    "sscard": (run_sscard, None, 14),
    "codescanner": (run_codescanner, ("driver", "status", "code", "rejected", "problem",
                                      "diagnostics", "ok"), 12),
    # what a technician calls the QR/barcode scanner (the flatbed kind "scanner" has no check)
    "scanner": (run_codescanner, ("driver", "status", "code", "rejected", "problem",
                                  "diagnostics", "ok"), 12),
    "printer": (run_printer, ("driver", "transport", "profile", "status", "test_page", "ok"),
                10),
    "camera": (run_camera, ("which", "driver", "frames", "fps", "shape", "mean_brightness",
                            "status", "problem", "face_models", "ok"), 16),
    "audio": (run_audio, ("site_voice", "lang", "prompt", "synth", "wav", "output",
                          "played", "ok"), 12),
}


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.wiring.devicecheck KIND [...]``: what ``scripts/diagnose KIND`` runs."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in KINDS:
        print(f"usage: scripts/diagnose KIND [--json]   (kinds: {' '.join(KINDS)})",
              file=sys.stderr)
        return 2
    run, keys, width = KINDS[args[0]]
    return report_main(run, args[1:], keys=keys, width=width)


if __name__ == "__main__":
    raise SystemExit(main())
