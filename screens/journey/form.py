"""The application form: prefilled from the card; each field opens the input that
fits it (numeric keypad, big choice buttons, yes/no, date picker, or the pinyin
input method for the few free-text fields). Typed text is kept here until 完成,
then set on the journey (``field_set``), which validates it.

Exits of an open field follow the journey's words: 返回 goes back to the form without
keeping what was typed (the editor's own button and the shell's 返回 alike), 完成
keeps it; 取消办理 stays the only way to end the session."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from kivy.uix.boxlayout import BoxLayout

from screens.journey.ime import ImePanel
from screens.journey.keypads import NumericEditor, date_picker
from screens.journey.parts import StepView
from screens.journey.pinyin import PinyinTable
from screens.widgets import load_kv

load_kv(Path(__file__).with_suffix(".kv"))

MAX_LEN = {"phone": 11, "id_keypad": 18, "numeric": 12}


class FormView(StepView):
    #: The candidate table is built on the first free-text field (~1 s), then kept.
    table = PinyinTable()

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.editing: str | None = None
        self.pending: str | None = None
        self._ime: ImePanel | None = None

    def render(self, view: dict[str, Any]) -> None:
        fields = {f["name"]: f for f in view["fields"]}
        if self.editing not in fields:
            self.editing, self.pending, self._ime = None, None, None
        if self.editing is None:
            super().render(view)
            return
        # Editing one field: its input takes the whole step (no message, no other fields),
        # so that the keyboard fits a 1080-pixel-high landscape screen in elderly mode too.
        super().render({**view, "message": None})

    def fill(self, view: dict[str, Any]) -> None:
        fields = {f["name"]: f for f in view["fields"]}
        if self.editing is not None:
            self.add_widget(self._editor(fields[self.editing]))
            return
        sv, grid = self.scroll(keep="fields")
        for f in view["fields"]:
            grid.add_widget(self._row(f))
        self.add_widget(sv)

    def _row(self, f: dict[str, Any]) -> Any:
        t = self.ui.theme
        value = f["value"]
        shown = self._shown(f, value)
        text = f"{f['label']}{'' if f['required'] else self.tr('journey.form.optional')}\n" \
               f"{shown or self.tr('journey.form.tap_to_fill')}"
        b = self.button(text, f"field:{f['name']}", lambda: self._edit(f["name"]),
                        kind="chosen" if f["name"] == self.editing else "secondary",
                        height=t.target * 1.6, font="body")
        b.size_hint_x = 1
        b.halign = "left"
        box = BoxLayout(orientation="vertical", size_hint_y=None, height=b.height)
        box.add_widget(b)
        if f["error"]:
            box.add_widget(self.para(self.tr(f["error"]), "small", "danger"))
            box.height += t.size("small") * 1.6
        return box

    def _shown(self, f: dict[str, Any], value: Any) -> str:
        if value is None or value == "":
            return ""
        if f["type"] == "bool":
            return self.tr("journey.form.yes" if value else "journey.form.no")
        for c in f["choices"]:
            if c["value"] == value:
                return str(c["label"])
        return str(value)

    def _edit(self, name: str) -> None:
        self.editing, self.pending = name, None
        self.host.refresh()

    def _editor(self, f: dict[str, Any]) -> Any:
        t = self.ui.theme
        kind = f["input"]
        value = "" if f["value"] is None else str(f["value"])
        if kind in ("choices", "yes_no"):
            box = BoxLayout(orientation="vertical", spacing=t.gap * 0.5)
            box.add_widget(self.para(f["label"], "heading", "primary", True))
            options = f["choices"] if kind == "choices" else [
                {"value": True, "label": self.tr("journey.form.yes")},
                {"value": False, "label": self.tr("journey.form.no")}]
            sv, grid = self.scroll(cols=2)
            for c in options:
                b = self.button(str(c["label"]), f"choice:{c['value']}",
                                partial(self._set, f["name"], c["value"]),
                                kind="chosen" if c["value"] == f["value"] else "secondary",
                                height=t.target * 1.3)
                b.size_hint_x = 1
                # A long choice wraps: the button grows with its lines.
                b.bind(texture_size=partial(_grow, t.target * 1.3, t.gap))
                grid.add_widget(b)
            box.add_widget(sv)
            box.add_widget(self._buttons([self._back_button()]))
            return box
        self.pending = value if self.pending is None else self.pending
        buttons = [self._back_button(),
                   self.button(self.tr("journey.form.done"), "field_ok",
                               lambda: self._set(str(self.editing), self.pending or ""))]
        if kind == "date_picker":
            box = BoxLayout(orientation="vertical", spacing=t.gap * 0.5)
            box.add_widget(self.para(f["label"], "heading", "primary", True))
            if f.get("help"):
                box.add_widget(self.para(f["help"], "small", "muted_bg"))
            box.add_widget(date_picker(self, value, self._typed, self.host.journey.today()))
            box.add_widget(BoxLayout())
            box.add_widget(self._buttons(buttons))
            return box
        if kind in MAX_LEN:
            return NumericEditor(self, f["label"], f.get("help"), self.pending, self._typed,
                                 buttons, letter_x=kind == "id_keypad",
                                 decimal=kind == "numeric", max_len=MAX_LEN[kind])
        old = self._ime
        recognizer = self.ui.kiosk.services.handwriting()
        self._ime = ImePanel(self, self.table, f["label"], self.pending, self._typed, buttons,
                             letters=old.letters if old else "",
                             chinese=old.chinese if old else True,
                             recognizer=recognizer if recognizer.available()[0] else None)
        if old is not None and old.pad is not None and self._ime.recognizer is not None:
            self._ime.open_pad(old.pad.ink)  # rebuilt for a switch: the pad stays open
        return self._ime

    def _back_button(self) -> Any:
        return self.button(self.tr("ui.nav.back"), "field_back", self._close,
                           kind="secondary")

    def _buttons(self, buttons: list[Any]) -> BoxLayout:
        row = self.row(height=self.ui.theme.target * 1.25)
        for b in buttons:
            b.size_hint_x = 1
            row.add_widget(b)
        return row

    def _typed(self, text: str) -> None:
        self.pending = text

    def _set(self, name: str, value: Any) -> None:
        self.editing, self.pending, self._ime = None, None, None
        self.host.fire("field_set", name=name, value=value)

    def _close(self) -> None:
        """返回 from an open field: back to the form, what was typed is not kept."""
        self.editing, self.pending, self._ime = None, None, None
        self.host.refresh()

    def on_back(self) -> bool:
        """The shell's 返回 while a field is open closes it (one step back)."""
        if self.editing is None:
            return False
        self._close()
        return True

    def actions(self, view: dict[str, Any]) -> list[Any]:
        # An open field carries its own 返回 / 完成 beside its keys.
        return [] if self.editing is not None else [
            self.trigger_button("journey.next", "next", view)]


def _grow(least: float, pad: float, button: Any, size: Any) -> None:
    button.height = max(least, size[1] + pad)
