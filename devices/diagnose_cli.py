"""The shared shell of ``scripts/diagnose KIND``: exit codes and output.

Each device's ``diagnose.py`` supplies ``run(argv) -> (exit_code, report)``; this
prints the report as JSON (``--json``) or as aligned ``key: value`` lines, always
through :func:`kiosk.privacy.redact` so no full ID number reaches a technician's
terminal or a ticket, and turns a configuration error into exit code 2.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from typing import Any

from kiosk.errors import ConfigError
from kiosk.privacy import redact

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
