"""Voice prompts through the real journey screen: each step's instruction is spoken on
entry (the text the screen shows), 重听 says it again, a language switch says it in the
new language, and a site with voice off speaks nothing until a citizen presses 重听."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kiosk.voice.guide import VoiceGuide, VoiceSettings
from kiosk.voice.player import RecordingPlayer
from kiosk.wiring.build import Kiosk
from tests.screens.helpers import buttons
from tests.screens.journey.stage import Stage


class WordsSynth:
    """Writes the text it is asked to say into a file, so the test can read it back."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.count = 0

    def available(self) -> tuple[bool, str]:
        return True, ""

    def synthesize(self, text: str, lang: str, rate: float = 1.0) -> Path:
        self.count += 1
        path = self.dir / f"{self.count:03d}-{lang}.txt"
        path.write_text(text, encoding="utf-8")
        return path


def voiced(make_kiosk: Callable[..., Kiosk], tmp_path: Path, site: str = "township",
           **settings: Any) -> tuple[Kiosk, RecordingPlayer]:
    kiosk = make_kiosk(site)
    player = RecordingPlayer()
    texts = kiosk.services.texts
    assert texts is not None
    kiosk.services.voice = VoiceGuide(WordsSynth(tmp_path), player, texts,
                                      VoiceSettings(**settings), threaded=False)
    return kiosk, player


def heard(player: RecordingPlayer) -> list[str]:
    return [path.read_text(encoding="utf-8") for path, _volume in player.played]


def replay_button(stage: Stage) -> Any:
    return next(b for b in buttons(stage.shell) if getattr(b, "action", "") == "replay")


def test_each_step_is_spoken_on_entry_and_again_on_request(
        harness: Any, make_kiosk: Callable[..., Kiosk], tmp_path: Path) -> None:
    kiosk, player = voiced(make_kiosk, tmp_path)
    stage = Stage(harness, kiosk)
    tr = kiosk.translator("zh_CN").gettext
    assert heard(player) == [tr("workflow.identity.place_card")]
    stage.to_face()
    assert heard(player)[-1] == tr(stage.j.view("zh_CN")["message"])
    count = len(player.played)
    stage.render()  # the same step drawn again: not said twice
    assert len(player.played) == count
    harness.press(replay_button(stage))
    assert len(player.played) == count + 1 and heard(player)[-1] == heard(player)[-2]
    stage.shell.ui.lang = "en"
    harness.render()
    stage.render()
    assert heard(player)[-1] == kiosk.translator("en").gettext(stage.j.view("en")["message"])


def test_a_quiet_site_speaks_only_when_asked(
        harness: Any, make_kiosk: Callable[..., Kiosk], tmp_path: Path) -> None:
    kiosk, player = voiced(make_kiosk, tmp_path, "bank-branch", enabled=False)
    assert kiosk.site.voice.enabled is False  # the bank branch's profile keeps it quiet
    stage = Stage(harness, kiosk)
    stage.to_face()
    assert player.played == []
    harness.press(replay_button(stage))
    assert heard(player) == [kiosk.translator("zh_CN").gettext(
        stage.j.view("zh_CN")["message"])]


@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920)], ids=["landscape", "portrait"])
def test_replay_is_on_every_step(harness: Any, make_kiosk: Callable[..., Kiosk],
                                 tmp_path: Path, size: tuple[int, int]) -> None:
    kiosk, _player = voiced(make_kiosk, tmp_path)
    stage = Stage(harness, kiosk, size)
    for advance in (stage.to_face, lambda: stage.fire("face_ok", score=0.8)):
        assert replay_button(stage).text == kiosk.translator("zh_CN").gettext(
            "ui.journey.replay")
        advance()
    assert replay_button(stage)
