"""Voice guidance: real espeak-ng audio for every prompt, played on step entry, replay, mute."""

from __future__ import annotations

import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest

from kiosk.errors import DeviceError, DeviceUnavailable
from kiosk.i18n.translate import Translator
from kiosk.voice.guide import VoiceGuide, VoiceSettings
from kiosk.voice.player import RecordingPlayer, audio_output_present
from kiosk.voice.prompts import is_prompt_key, prompt_for, prompt_keys
from kiosk.voice.synth import EspeakSynth
from kiosk.voice.wav import read_wav

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (Debian package espeak-ng)")


def _text_of(lang: str, key: str) -> str:
    t = Translator(lang)
    return t.gettext(key)


def _write_wav(path: Path, samples: list[int], rate: int = 22050) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return path


def test_wav_reader_tells_silence_from_sound(tmp_path: Path) -> None:
    silent = read_wav(_write_wav(tmp_path / "s.wav", [0] * 22050))
    assert silent.duration_s == pytest.approx(1.0) and silent.silent
    loud = read_wav(_write_wav(tmp_path / "l.wav", [8000, -8000] * 11025))
    assert not loud.silent and loud.peak == pytest.approx(8000 / 32768)
    (tmp_path / "bad.wav").write_bytes(b"RIFF nonsense")
    with pytest.raises(DeviceError, match=r"bad\.wav"):
        read_wav(tmp_path / "bad.wav")


def test_prompt_keys_are_instructions_not_labels() -> None:
    assert is_prompt_key("workflow.identity.place_card")
    assert is_prompt_key("face.challenge.turn_left")
    assert is_prompt_key("error.paper_out")
    assert not is_prompt_key("workflow.status.approved")
    assert not is_prompt_key("workflow.step.form")
    assert not is_prompt_key("workflow.technician.enter_pin")
    assert not is_prompt_key("home.tile.apply")


def test_prompt_for_prefers_the_error_then_live_guidance() -> None:
    assert prompt_for({"state": "identity", "message": "workflow.identity.place_card"}) \
        == "workflow.identity.place_card"
    assert prompt_for({"state": "error", "error_key": "error.card_read",
                       "message": "x"}) == "error.card_read"
    assert prompt_for({"state": "face", "guidance": "face.challenge.turn_left",
                       "message": "workflow.face.look_at_camera"}) == "face.challenge.turn_left"
    assert prompt_for({"state": "done"}) is None


@needs_espeak
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_prompt_key_has_real_audio(lang: str, tmp_path: Path) -> None:
    translator = Translator(lang)
    keys = prompt_keys(translator.keys())
    assert len(keys) > 60, keys  # the whole journey, not a handful
    synth = EspeakSynth(tmp_path)
    for key in keys:
        text = translator.gettext(key)
        assert text != key, f"{key} has no {lang} text"
        info = read_wav(synth.synthesize(text, lang))
        assert info.duration_s > 0.3 and not info.silent, (key, info)


@needs_espeak
def test_synthesis_is_cached_by_text_and_rate(tmp_path: Path) -> None:
    calls: list[list[str]] = []

    def runner(argv):  # type: ignore[no-untyped-def]
        calls.append(list(argv))
        return subprocess.run(list(argv), capture_output=True, check=False)

    synth = EspeakSynth(tmp_path, runner=runner)
    a = synth.synthesize("请将身份证放在读卡区", "zh_CN")
    assert synth.synthesize("请将身份证放在读卡区", "zh_CN") == a and len(calls) == 1
    slow = synth.synthesize("请将身份证放在读卡区", "zh_CN", rate=0.8)
    assert slow != a and len(calls) == 2
    assert read_wav(slow).duration_s > read_wav(a).duration_s
    assert calls[0][:3] == ["espeak-ng", "-v", "cmn"]
    assert not list(tmp_path.rglob("*.tmp"))


def test_missing_engine_is_unavailable_not_a_crash(tmp_path: Path) -> None:
    synth = EspeakSynth(tmp_path, executable="/nonexistent/espeak-ng")
    assert synth.available()[0] is False
    with pytest.raises(DeviceUnavailable, match="espeak-ng"):
        synth.synthesize("你好", "zh_CN")
    player = RecordingPlayer()
    guide = VoiceGuide(synth, player, _text_of, threaded=False)
    assert guide.say("workflow.identity.place_card", "zh_CN")
    assert player.played == []
    ok, reason = guide.status()
    assert not ok and "espeak-ng" in reason


class _FakeSynth:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.said: list[tuple[str, str, float]] = []

    def available(self) -> tuple[bool, str]:
        return True, ""

    def synthesize(self, text: str, lang: str, rate: float = 1.0) -> Path:
        self.said.append((text, lang, rate))
        return self.root / f"{len(self.said)}.wav"


def _guide(tmp_path: Path, settings: VoiceSettings | None = None
           ) -> tuple[VoiceGuide, _FakeSynth, RecordingPlayer]:
    synth, player = _FakeSynth(tmp_path), RecordingPlayer()
    return VoiceGuide(synth, player, _text_of, settings, threaded=False), synth, player


def test_step_entry_speaks_once_and_replay_repeats(tmp_path: Path) -> None:
    guide, synth, player = _guide(tmp_path)
    guide.start_session()
    view = {"state": "identity", "message": "workflow.identity.place_card"}
    assert guide.on_view(view, "zh_CN")
    assert not guide.on_view(view, "zh_CN")  # a re-render of the same step is silent
    assert synth.said[0][0] == _text_of("zh_CN", "workflow.identity.place_card")
    assert guide.replay()
    assert len(player.played) == 2 and player.played[0][1] == pytest.approx(0.8)
    guide.on_view({"state": "face", "message": "workflow.face.look_at_camera"}, "zh_CN")
    guide.on_view(view, "en")  # the language changed: speak again, in English
    assert synth.said[-1][1] == "en" and len(player.played) == 4


def test_muted_site_plays_nothing_but_elderly_session_speaks_slower(tmp_path: Path) -> None:
    quiet = VoiceSettings(enabled=False, rate=1.0, elderly_rate=0.8)
    guide, synth, player = _guide(tmp_path, quiet)
    guide.start_session()
    assert not guide.on_view({"state": "identity", "message": "workflow.identity.place_card"},
                             "zh_CN")
    assert not guide.replay() and player.played == []
    guide.end_session()
    guide.start_session(elderly=True)
    assert guide.on_view({"state": "identity", "message": "workflow.identity.place_card"},
                         "zh_CN")
    assert synth.said[-1][2] == pytest.approx(0.8)
    guide.set_session(enabled=False)
    assert not guide.replay()
    guide.end_session()
    assert guide.settings.enabled is False and player.stops >= 1


def test_threaded_guide_never_blocks_and_newest_prompt_wins(tmp_path: Path) -> None:
    import threading

    release = threading.Event()
    started = threading.Event()
    two_done = threading.Event()

    class SlowSynth(_FakeSynth):
        def synthesize(self, text: str, lang: str, rate: float = 1.0) -> Path:
            started.set()
            release.wait(5)
            path = super().synthesize(text, lang, rate)
            if len(self.said) == 2:
                two_done.set()
            return path

    synth, player = SlowSynth(tmp_path), RecordingPlayer()
    guide = VoiceGuide(synth, player, _text_of)
    try:
        guide.say("workflow.identity.place_card", "zh_CN")
        assert started.wait(5)
        # the worker is busy: these return at once and only the newest survives
        guide.say("workflow.face.look_at_camera", "zh_CN")
        guide.say("workflow.capture.place_document", "zh_CN")
        release.set()
        assert two_done.wait(5)
        assert [s[0] for s in synth.said] == [
            _text_of("zh_CN", "workflow.identity.place_card"),
            _text_of("zh_CN", "workflow.capture.place_document")]
        assert len(player.played) == 2
    finally:
        guide.close()


def test_audio_output_detection(tmp_path: Path) -> None:
    assert not audio_output_present(tmp_path / "none", env={})
    snd = tmp_path / "snd"
    snd.mkdir()
    (snd / "controlC0").touch()
    assert not audio_output_present(snd, env={})
    (snd / "pcmC0D0p").touch()
    assert audio_output_present(snd, env={})
    assert audio_output_present(tmp_path / "none", env={"PULSE_SERVER": "unix:/x"})


def test_diagnose_audio_reports_the_prompt_and_the_output() -> None:
    """``scripts/diagnose audio --json``: a real prompt synthesized and measured; with no
    audio output (a test machine, a terminal without speakers) it says so and exits 1,
    never crashes."""
    import json

    root = Path(__file__).resolve().parents[3]
    done = subprocess.run([str(root / "scripts" / "diagnose"), "audio", "--json", "--lang", "en"],
                          cwd=root, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode in (0, 1), done.stderr[-800:]
    report = json.loads(done.stdout)
    assert report["prompt"] == "workflow.identity.place_card" and report["lang"] == "en"
    if report["synth"] == "espeak-ng":
        assert "silent" not in report["wav"] and float(report["wav"].split()[0]) > 0.5
    assert report["ok"] is (done.returncode == 0)
    if report.get("output") != "ready":
        assert done.returncode == 1 and "played" not in report
