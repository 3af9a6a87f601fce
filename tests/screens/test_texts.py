"""Keys the screens build at run time (so the literal-key scanner of test_i18n cannot
see them) exist in both languages: the citizen's screens, and the technician, service
and simulator screens."""

from __future__ import annotations

import typing

import pytest

from devices.base import DeviceState, MediaStatus
from kiosk.catalog import availability
from kiosk.catalog.models import Channel, MaterialForm
from kiosk.config.model import DeviceKind
from kiosk.i18n.translate import Translator
from kiosk.receipts.inputs import CollectMethod
from screens.devpanel.panel import CARDS, PRINTER, SCENES
from screens.home import TILES
from screens.technician.menu import TOOLS
from screens.technician.selftest import TESTS


def runtime_keys() -> set[str]:
    keys = {f"ui.guide.form.{f}" for f in typing.get_args(MaterialForm)}
    keys |= {f"ui.channel.{c}" for c in typing.get_args(Channel)}
    keys |= {f"device.kind.{k}" for k in typing.get_args(DeviceKind)}
    keys |= {f"ui.service.{k}{s}" for k in ("progress", "print", "queue") for s in ("", "_detail")}
    keys |= {f"ui.home.{k}" for k in ("progress", "print", "queue")}
    keys |= {key for _id, title, sub, _style in TILES for key in (title, sub)}
    keys |= {"ui.home.elderly_exit", "ui.browse.by_department", "ui.browse.by_life_event"}
    keys |= {getattr(availability, name) for name in dir(availability)
             if name.startswith("REASON_")}
    keys |= {"ui.badge.suspended", "ui.badge.window_only", "ui.badge.kiosk_complete",
             "ui.badge.kiosk_intake"}
    return keys


def technician_keys() -> set[str]:
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
    missing = sorted(k for k in runtime_keys() | technician_keys() if not translator.has(k))
    assert not missing, f"{lang}: {missing}"
