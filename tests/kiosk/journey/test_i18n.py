"""Every key the journeys, views and technician tools show exists in zh_CN and en."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import polib

from kiosk.errors import KioskError
from kiosk.i18n.translate import LOCALE_DIR, load_messages
from kiosk.journey.apply import RATING_REASONS

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [ROOT / "kiosk" / n for n in ("journey/apply.py", "journey/view.py", "journey/tables.py",
                                        "desk/journeys.py", "desk/tasks.py",
                                        "journey/data.py", "journey/runner.py",
                                        "technician/gate.py", "technician/bundle.py")]
STATUSES = ("submitted", "accepted", "in_review", "approved", "rejected", "needs_supplement",
            "ready_for_pickup", "collected")
STEPS = ("identity", "face", "checklist", "capture", "form", "signature", "review", "rating")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in SOURCES:
        keys |= set(re.findall(r'"(workflow\.[a-z_.]+[a-z_])"', path.read_text("utf-8")))
    keys |= {f"workflow.rating.reason.{r}" for r in RATING_REASONS}
    keys |= {f"workflow.status.{s}" for s in STATUSES}
    keys |= {f"workflow.step.{s}" for s in STEPS}
    return keys


def test_both_languages_define_the_same_complete_workflow_domain() -> None:
    zh = polib.pofile(str(LOCALE_DIR / "zh_CN" / "workflow.po"))
    en = polib.pofile(str(LOCALE_DIR / "en" / "workflow.po"))
    zh_keys = {e.msgid for e in zh if e.msgstr}
    assert zh_keys == {e.msgid for e in en if e.msgstr}
    assert len(zh_keys) == len(zh)
    assert used_keys() <= zh_keys
    for entry in zh:  # Chinese texts are Chinese, English ones are not
        assert re.search(r"[\u4e00-\u9fff]", entry.msgstr), entry.msgid
    for entry in en:
        assert not re.search(r"[\u4e00-\u9fff]", entry.msgstr), entry.msgid


def test_error_keys_shown_by_the_error_states_exist() -> None:
    def subclasses(cls: type) -> list[type]:
        return [cls, *itertools.chain.from_iterable(subclasses(c) for c in cls.__subclasses__())]

    keys = {c.i18n_key for c in subclasses(KioskError)
            if c.__module__ == "kiosk.errors"}
    for lang in ("zh_CN", "en"):
        messages = load_messages(LOCALE_DIR, lang)
        assert keys <= set(messages.texts), (lang, keys - set(messages.texts))
        assert not [d for d in messages.duplicates if "workflow.po" in d[1] + d[2]]
