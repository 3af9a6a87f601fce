"""Keys the technician, service and simulator screens build at run time exist in
zh_CN and en (the literal-key scanner of test_i18n cannot see them)."""

from __future__ import annotations

import typing

import pytest

from devices.base import DeviceState, MediaStatus
from kiosk.i18n.translate import Translator
from kiosk.receipts.inputs import CollectMethod
from screens.devpanel.panel import CARDS, PRINTER, SCENES
from screens.technician.menu import TOOLS
from screens.technician.selftest import TESTS


def runtime_keys() -> set[str]:
    keys = {f"ts.tech.state.{s.value}" for s in DeviceState}
    keys |= {"ts.tech.media." + m.value.replace("/", "_") for m in MediaStatus}
    keys |= {f"ts.tech.{t}{suffix}" for t in TOOLS for suffix in ("", "_sub")}
    keys |= {f"ts.tech.test.{t}{suffix}" for t in TESTS for suffix in ("", "_run")}
    keys |= {f"ts.svc.collect.{m}" for m in typing.get_args(CollectMethod)}
    keys |= {f"ts.dev.card.{c}" for c in CARDS}
    keys |= {f"ts.dev.printer.{p}" for p in PRINTER}
    keys |= {f"ts.dev.scene.{k}.{n}" for k, n in SCENES}
    return keys


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_runtime_keys_are_translated(lang: str) -> None:
    translator = Translator(lang)
    missing = sorted(k for k in runtime_keys() if not translator.has(k))
    assert not missing, f"{lang}: {missing}"
