"""Widgets the service screens build from a journey's view (plain dicts)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from kivy.uix.boxlayout import BoxLayout

from kiosk.clock import CST
from screens.widgets import Card, ItemRow, KButton, Para


def para(ui: Any, text: str, *, size: str = "body", colour: str = "on_surface",
         bold: bool = False) -> Para:
    theme = ui.theme
    return Para(text=text, color=theme.colour(colour), font_size=theme.size(size), bold=bold)


def button(ui: Any, text: str, on_press: Callable[[], None], *, style: str = "primary",
           name: str = "") -> KButton:
    theme = ui.theme
    b = KButton(text=text, bg=theme.colour(style), fg=theme.colour(f"on_{style}"),
                font_size=theme.button, radius=theme.radius, min_target=theme.target,
                border_colour=theme.colour("primary") if style == "surface" else (0, 0, 0, 0))
    b.action = name
    b.bind(on_release=lambda _b: on_press())
    return b


def case_row(ui: Any, case: dict[str, Any], item_name: str, index: int,
             on_press: Callable[[int], None]) -> ItemRow:
    theme = ui.theme
    style = {"ready_for_pickup": "success", "rejected": "danger",
             "needs_supplement": "accent"}.get(case["status"], "primary")
    number = case.get("case_number") or case.get("kiosk_ref") or ""
    row = ItemRow(title=item_name, meta=ui.tr("ts.svc.case_number", number=number),
                  badge=ui.tr(case["status_key"]), badge_bg=theme.colour(style),
                  badge_fg=theme.colour(f"on_{style}"), bg=theme.colour("surface"),
                  fg=theme.colour("on_surface"), border_colour=theme.colour("border"),
                  radius=theme.radius, title_size=theme.body * 1.15, meta_size=theme.small,
                  min_target=theme.target)
    row.case_index = index
    row.bind(on_release=lambda r: on_press(r.case_index))
    return row


def when(text: str) -> str:
    """An ISO time from the back office in China time, minutes precision."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is not None:
        moment = moment.astimezone(CST)
    return moment.strftime("%Y-%m-%d %H:%M")


def columns(ui: Any, parent: Any) -> tuple[BoxLayout, BoxLayout]:
    """Two columns side by side on a landscape screen, one above the other on a portrait
    one; both start at the top (a grid would align a shorter column to the bottom)."""
    theme = ui.theme
    landscape = theme.landscape
    box = BoxLayout(orientation="horizontal" if landscape else "vertical", spacing=theme.gap,
                    size_hint_y=None)
    made = []
    for _ in range(2):
        col = BoxLayout(orientation="vertical", spacing=theme.gap, size_hint_y=None,
                        pos_hint={"top": 1})
        col.bind(minimum_height=col.setter("height"))
        box.add_widget(col)
        made.append(col)

    def fit(*_: Any) -> None:
        heights = [c.height for c in made]
        box.height = max(heights) if landscape else sum(heights) + theme.gap
    for col in made:
        col.bind(height=fit)
    parent.add_widget(box)
    return made[0], made[1]


def section(ui: Any, heading: str) -> Card:
    theme = ui.theme
    card = Card(bg=theme.colour("surface"), radius=theme.radius,
                padding=(theme.pad, theme.px(14)), spacing=theme.gap * 0.4)
    card.add_widget(para(ui, heading, size="heading", colour="primary_text", bold=True))
    return card


def timeline_card(ui: Any, case: dict[str, Any]) -> Card:
    card = section(ui, ui.tr("ts.svc.timeline"))
    for n, entry in enumerate(reversed(case["timeline"])):
        line = BoxLayout(orientation="vertical", size_hint_y=None, spacing=2)
        line.bind(minimum_height=line.setter("height"))
        head = f"{'●' if n == 0 else '○'}  {ui.tr(entry['status_key'])}    {when(entry['at'])}"
        line.add_widget(para(ui, head, bold=n == 0))
        if entry.get("note"):
            line.add_widget(para(ui, f"     {entry['note']}", size="small", colour="muted"))
        card.add_widget(line)
    return card


def owed_card(ui: Any, case: dict[str, Any]) -> Card | None:
    if not case["owed"]:
        return None
    card = section(ui, ui.tr("ts.svc.owed"))
    for owed in case["owed"]:
        deadline = owed.get("deadline")
        text = ui.tr("ts.svc.owed_by", name=owed["name"], deadline=deadline) if deadline \
            else owed["name"]
        card.add_widget(para(ui, f"•  {text}"))
    return card


def collect_card(ui: Any, case: dict[str, Any]) -> Card:
    card = section(ui, ui.tr("ts.svc.collect"))
    collect = case.get("collect")
    if not collect:
        card.add_widget(para(ui, ui.tr("ts.svc.collect_later")))
        return card
    method = str(collect.get("method") or "window")
    card.add_widget(para(ui, ui.tr(f"ts.svc.collect.{method}"), bold=True))
    place = str(collect.get("place") or "")
    site = ui.kiosk.site
    if place == site.id:  # the back office names the place by site id (API.md CaseStatus)
        place = ui.lt(site.name)
    note = str(collect.get("note") or "")
    for text in (place, note):
        if text:
            card.add_widget(para(ui, text))
    return card


def summary_card(ui: Any, case: dict[str, Any], item_name: str) -> Card:
    card = section(ui, item_name)
    number = case.get("case_number") or ui.tr("ts.svc.no_number_yet")
    card.add_widget(para(ui, ui.tr("ts.svc.case_number", number=number)))
    card.add_widget(para(ui, ui.tr("ts.svc.status", status=ui.tr(case["status_key"])),
                         bold=True, colour="primary_text"))
    return card
