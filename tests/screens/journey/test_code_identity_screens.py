"""The identity step where 亮码 is offered: 刷身份证 and 亮码 side by side with their
pictures, a refused code's reason, and the check in progress; in both orientations, both
languages, standard and elderly, on both sites' themes, through the layout audit."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kiosk.journey.apply import Journey, JourneySettings
from kiosk.journey.plan import plan_for
from kiosk.journey.session import JourneyBinding
from kiosk.wiring.build import Kiosk
from screens.audit import Audit
from screens.journey.codepicture import CodePicture
from screens.widgets import IdCardPicture
from tests.screens.helpers import visible

pytestmark = pytest.mark.ui

ITEM = "330109-RS-003"
CODE = "ZJID1." + "AbCdEfGhIjKlMnOpQrStUvWxYz012345"
#: (site, window size): the township both ways, the bank branch as it stands
VARIANTS = [("township", (1920, 1080)), ("township", (1080, 1920)),
            ("bank-branch", (1080, 1920))]


def start(harness: Any, kiosk: Kiosk, size: tuple[int, int]) -> tuple[Any, Journey]:
    shell = harness.show(kiosk, size)
    kiosk.session.touch()
    code = ITEM if kiosk.catalog.has_item(ITEM) else next(
        i.code for i in kiosk.catalog.items if i.channel != "window_only" and i.identity_code)
    shell.go("journey", code=code)
    screen = shell.current
    j = Journey(plan_for(code, kiosk.catalog),
                JourneySettings(site_id=kiosk.site.id, terminal_id="XS-TEST-0001",
                                code_identity=True), clock=kiosk.clock)
    JourneyBinding(j, kiosk.session)
    screen.journey = j
    j.add_listener(screen._on_change)
    screen.refresh()
    harness.render()
    return shell, j


@pytest.mark.parametrize(("site", "size"), VARIANTS,
                         ids=[f"{s}-{'landscape' if w > h else 'portrait'}"
                              for s, (w, h) in VARIANTS])
def test_both_ways_the_reason_and_the_check_fit_every_variant(
        harness: Any, make_kiosk: Callable[..., Kiosk], shot: Callable[[str], Any],
        site: str, size: tuple[int, int]) -> None:
    kiosk = make_kiosk(site)
    shell, j = start(harness, kiosk, size)
    pictures = [w for w in shell.walk(restrict=True)
                if isinstance(w, IdCardPicture | CodePicture)]
    assert len(pictures) == 2 and all(visible(p) for p in pictures)
    j.fire("code_scanned", code=CODE)
    j.fire("code_failed", error=_expired())
    shell.current.refresh()
    audit = Audit()
    orient = "landscape" if size[0] > size[1] else "portrait"
    # the bank branch's theme: the refusal (the check differs only in its message)
    for state in ("refused",) if site == "bank-branch" else ("refused", "checking"):
        if state == "checking":
            j.fire("code_scanned", code=CODE)
            shell.current.refresh()
        for lang in ("zh_CN", "en"):
            shell.ui.lang = lang
            tr = kiosk.translator(lang).gettext
            for elderly in (False, True):
                shell.ui.elderly = elderly
                harness.render()
                words = " ".join(w.text for w in shell.walk(restrict=True)
                                 if hasattr(w, "text") and visible(w))
                assert tr("journey.identity.option_card") in words
                assert tr("journey.identity.option_code") in words
                want = "workflow.code.expired" if state == "refused" \
                    else "workflow.code.checking"
                assert tr(want) in words
                mode = "elderly" if elderly else "standard"
                audit.check(shell, screen=f"journey/identity-code-{state}",
                            variant=f"{site}-{orient}-{lang}-{mode}", elderly=elderly,
                            scale=shell.ui.theme.scale, pair=f"{site}-{orient}-{lang}")
                shot(f"{state}-{lang}-{mode}")
    assert audit.findings == [], "\n".join(map(str, audit.findings))


def _expired() -> Exception:
    from kiosk.submission.identitycode import IdentityCodeError
    return IdentityCodeError("expired", i18n_key="workflow.code.expired")
