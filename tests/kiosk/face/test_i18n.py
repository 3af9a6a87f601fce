"""Every vision key has a zh_CN and an en text, and nothing else defines them."""

from __future__ import annotations

import pytest

from kiosk.documents import quality
from kiosk.face import guidance, liveness, verify
from kiosk.i18n.translate import LOCALE_DIR, load_messages

KEYS = {
    *guidance.GUIDANCE_KEYS, verify.HOLD_STILL,
    liveness.PROMPT_LOOK, liveness.PROMPT_LEFT, liveness.PROMPT_RIGHT, liveness.PROMPT_BACK,
    liveness.FAILED_TIMEOUT, liveness.FAILED_SWITCHED,
    verify.RESULT_MATCH, verify.RESULT_NO_MATCH, verify.RESULT_TRY_AGAIN,
    verify.RESULT_PHOTO_UNAVAILABLE, verify.RESULT_PHOTO_UNUSABLE,
    verify.RESULT_LIVENESS_FAILED, verify.RESULT_TIMEOUT,
    *quality.DOCUMENT_KEYS, "document.error.too_large", "document.error.no_pages",
}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_vision_key_is_translated(lang: str) -> None:
    messages = load_messages(LOCALE_DIR, lang)
    missing = sorted(k for k in KEYS if not messages.texts.get(k))
    assert not missing
    assert all(messages.origin[k].endswith("vision.po") for k in KEYS)
    vision_dups = [d for d in messages.duplicates if d[0] in KEYS]
    assert not vision_dups


def test_the_po_files_hold_exactly_these_keys() -> None:
    for lang in ("zh_CN", "en"):
        messages = load_messages(LOCALE_DIR, lang)
        mine = {k for k, origin in messages.origin.items() if origin.endswith("vision.po")}
        assert mine == KEYS
