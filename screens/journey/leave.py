"""取消办理? The journey asks before it wipes what the citizen handed over
(``view["confirm_leave"]``): one in-screen question with two big buttons, never a
pop-up. 继续办理 fires ``stay``, 取消办理 fires ``cancel``; the step underneath keeps
its state (an open field, a half-drawn signature) for when the citizen stays."""

from __future__ import annotations

from typing import Any

from kivy.uix.boxlayout import BoxLayout

from screens.journey.parts import Panel, StepView


class LeaveView(StepView):
    def render(self, view: dict[str, Any]) -> None:
        self.clear_widgets()
        t = self.ui.theme
        self.orientation = "vertical"
        # Landscape is short: a wide panel with a heading-sized question.
        self.padding = (t.pad * (2 if t.landscape else 0), 0)
        panel = Panel(size_hint_y=None, padding=t.gap, spacing=t.gap * 0.6)
        panel.bind(minimum_height=panel.setter("height"))
        panel.add_widget(self.para(self.tr("journey.leave.title"),
                                   "heading" if t.landscape else "title", "on_surface", True))
        panel.add_widget(self.para(self.tr("journey.leave.body"), "body", "on_surface"))
        high = t.target * (1.2 if t.landscape else 1.5)
        row = BoxLayout(size_hint_y=None, height=high, spacing=t.gap * 2)
        stay = self.button(self.tr("ui.idle.extend"), "stay", lambda: self.host.fire("stay"),
                           height=high, font="heading")
        leave = self.button(self.tr("ui.journey.cancel"), "cancel",
                            lambda: self.host.fire("cancel"), kind="danger",
                            height=high, font="heading")
        for b in (stay, leave):
            b.size_hint_x = 1
            row.add_widget(b)
        panel.add_widget(row)
        self.add_widget(BoxLayout())
        self.add_widget(panel)
        self.add_widget(BoxLayout())

    def fill(self, view: dict[str, Any]) -> None:  # render() draws everything
        pass
