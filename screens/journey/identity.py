"""Place the ID card (or the 社保卡 where the item accepts it): a drawn picture of
where the card goes, the journey's message and any problem with the last card
(expired, not accepted, unreadable, taken away).

Where the site offers 亮码 and the item accepts it (``view["accepts_code"]``), both
ways stand side by side, 刷身份证 and 亮码, each with its picture; a code being checked
(``code_checking``) shows the journey's message, a refused one its reason."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from screens.journey.codepicture import CodePicture
from screens.journey.parts import StepView
from screens.widgets import IdCardPicture, load_kv

load_kv(Path(__file__).with_suffix(".kv"))


class IdentityView(StepView):
    def render(self, view: dict[str, Any]) -> None:
        super().render(view)
        self.orientation = "horizontal" if self.ui.theme.landscape else "vertical"

    def fill(self, view: dict[str, Any]) -> None:
        t = self.ui.theme
        # render() put the message first; regroup: picture | texts
        message = self.children[0] if self.children else None
        if message is not None:
            self.remove_widget(message)
        picture: Widget = IdCardPicture(ink=t.colour("on_surface"), pad=t.colour("primary"),
                                        arrow=t.colour("accent"), card=(0.86, 0.91, 0.97, 1))
        both = bool(view.get("accepts_code"))
        if both:
            picture = self._both_ways(picture)
        # landscape: two pictures side by side leave the texts a little more of the width
        picture.size_hint = ((0.8 if both else 1), 1) if t.landscape else (1, 0.55)
        self.add_widget(picture)
        _sv, texts = self.scroll()
        if view.get("notice"):  # what went wrong with the last card or code: first
            texts.add_widget(self.para(self.tr(view["notice"], **view.get("notice_args", {})),
                                       "heading", "danger", True))
        if view.get("title"):
            texts.add_widget(self.para(self.tr("journey.identity.item", item=view["title"]),
                                       colour="muted_bg"))
        if message is not None:
            texts.add_widget(message)
        texts.add_widget(self.para(self.tr("journey.identity.where"), "body"))
        if view.get("accepts_code"):
            texts.add_widget(self.para(self.tr("journey.identity.code_how"), "body"))
        if view.get("accepts_sscard"):
            texts.add_widget(self.para(self.tr("journey.identity.sscard_ok"), "body"))
        texts.add_widget(self.para(self.tr("journey.identity.privacy"), "small", "muted_bg"))
        for code, name in view.get("bundles", ()):
            # 联办: the same visit can apply for the whole bundle this item belongs to.
            texts.add_widget(self.button(self.tr("journey.identity.bundle", name=name),
                                         f"bundle:{code}", partial(self.host.go_bundle, code),
                                         kind="secondary", font="body", wide=True))
        self.add_widget(_sv)

    def _both_ways(self, card: Widget) -> Widget:
        """刷身份证 | 或 | 亮码: the two pictures under their names."""
        t = self.ui.theme
        ways = BoxLayout(orientation="horizontal", spacing=t.gap)
        code = CodePicture(ink=t.colour("on_surface"), window=t.colour("primary"),
                           arrow=t.colour("accent"), phone=(0.22, 0.25, 0.32, 1))
        for n, (key, picture) in enumerate((("journey.identity.option_card", card),
                                            ("journey.identity.option_code", code))):
            if n:
                ways.add_widget(self.para(self.tr("journey.identity.or"), "heading",
                                          "muted_bg", size_hint_x=None,
                                          width=t.size("heading") * 2.5, halign="center",
                                          pos_hint={"center_y": 0.5}))
            column = BoxLayout(orientation="vertical", spacing=t.gap)
            column.add_widget(self.para(self.tr(key), "heading", "primary", True,
                                        size_hint_y=None, halign="center"))
            column.add_widget(picture)
            ways.add_widget(column)
        return ways
