"""Read an ``audit.json`` and print its findings grouped by screen and rule, with the
variants each appears in: ``python -m screens.audit.summary DIR/audit.json``."""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path


def grouped(report: dict[str, object]) -> list[str]:
    findings = report.get("findings", [])
    assert isinstance(findings, list)
    groups: dict[tuple[str, str, str], dict[str, set[str]]] = defaultdict(
        lambda: defaultdict(set))
    for f in findings:
        detail = str(f["detail"])
        groups[(str(f["screen"]), str(f["rule"]), str(f["widget"]))][detail].add(
            str(f["variant"]))
    out = [f"{report.get('screens_checked')} screens checked, {len(findings)} findings"]
    last = ("", "")
    for (screen, rule, widget), details in sorted(groups.items()):
        if (screen, rule) != last:
            out.append(f"{screen} · {rule}")
            last = (screen, rule)
        variants = sorted(set().union(*details.values()))
        example = next(iter(details))
        out.append(f"    {widget}: {example} [{len(variants)}: {', '.join(variants)[:160]}]")
    return out


def main(argv: list[str]) -> int:
    report = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    print("\n".join(grouped(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
