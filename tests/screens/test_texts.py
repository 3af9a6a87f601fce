"""Keys the screens build at run time (so the literal-key scanner of test_i18n cannot
see them) exist in both languages."""

from __future__ import annotations

import typing

import pytest

from kiosk.catalog import availability
from kiosk.catalog.models import Channel, MaterialForm
from kiosk.config.model import DeviceKind
from kiosk.i18n.translate import Translator
from screens.home import TILES


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


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_runtime_keys_are_translated(lang: str) -> None:
    translator = Translator(lang)
    missing = sorted(k for k in runtime_keys() if not translator.has(k))
    assert not missing, f"{lang}: {missing}"
