"""Each rule of the layout audit on small widget trees that break it and that keep
it: a rule must fail on the bad tree and stay quiet on the good one."""

from __future__ import annotations

from typing import Any

import pytest

from screens.audit import Audit, Tree, audit_tree, rules
from screens.audit.geometry import Rect

pytestmark = pytest.mark.ui

W, H = 400, 300


def _tree(*children: Any, scale: float = 1.0) -> Tree:
    from kivy.uix.floatlayout import FloatLayout
    root = FloatLayout(size=(W, H), size_hint=(None, None), pos=(0, 0))
    for child in children:
        root.add_widget(child)
    for w in root.walk(restrict=True):
        if hasattr(w, "texture_update"):
            w.texture_update()
    return Tree(root, Rect(0, 0, W, H), scale)


def _label(text: str, pos: tuple[float, float] = (10, 10), size: tuple[float, float] = (200, 40),
           **kw: Any) -> Any:
    from kivy.uix.label import Label
    return Label(text=text, pos=pos, size=size, size_hint=(None, None), **kw)


def _button(text: str = "OK", pos: tuple[float, float] = (10, 10),
            size: tuple[float, float] = (100, 100), **kw: Any) -> Any:
    from kivy.uix.button import Button
    return Button(text=text, pos=pos, size=size, size_hint=(None, None), **kw)


def _rules(found: list[rules.Finding]) -> set[str]:
    return {f.rule for f in found}


# (a) inside the window, or reachable by scrolling

def test_a_button_past_the_right_edge(harness: Any) -> None:
    found = rules.inside(_tree(_button(pos=(350, 10))))
    assert [f.rule for f in found] == ["a-inside"] and "past the right" in found[0].detail


def test_a_button_inside_the_window(harness: Any) -> None:
    assert rules.inside(_tree(_button(pos=(290, 190)))) == []


def _scroll(content_height: float, child_y: float, do_scroll_y: bool = True) -> Tree:
    from kivy.uix.scrollview import ScrollView
    from kivy.uix.widget import Widget
    view = ScrollView(pos=(0, 100), size=(W, 100), size_hint=(None, None),
                      do_scroll_x=False, do_scroll_y=do_scroll_y)
    content = Widget(size_hint=(None, None), size=(W, content_height))
    view.add_widget(content)
    content.add_widget(_button(pos=(10, child_y), size=(100, 80)))
    return _tree(view)


def test_a_row_below_the_fold_of_a_scroll_view_is_reachable(harness: Any) -> None:
    # content 400 px tall in a 100 px viewport: the button at y=10 is scrolled into view
    assert rules.inside(_scroll(400, 10)) == []


def test_a_row_outside_its_scroll_view_content_is_not(harness: Any) -> None:
    # the button hangs under the content: no scrolling ever shows it whole
    found = rules.inside(_scroll(400, -60))
    assert _rules(found) == {"a-inside"}


def test_a_clipped_by_a_scroll_view_that_cannot_scroll(harness: Any) -> None:
    found = rules.inside(_scroll(80, 10, do_scroll_y=False))
    assert _rules(found) == {"a-inside"}


# (b) overlap

def test_b_two_buttons_on_top_of_each_other(harness: Any) -> None:
    found = rules.overlap(_tree(_button("A", pos=(10, 10)), _button("B", pos=(60, 60))))
    assert _rules(found) == {"b-overlap"}


def test_b_side_by_side_buttons_and_a_label_inside_a_button(harness: Any) -> None:
    inner = _button("A", pos=(10, 10))
    inner.add_widget(_label("x", pos=(20, 20), size=(40, 40)))
    assert rules.overlap(_tree(inner, _button("B", pos=(120, 10)))) == []


def test_b_text_that_spills_over_a_neighbour(harness: Any) -> None:
    # a narrow label whose text is drawn across the button beside it
    spill = _label("a rather long line of text", pos=(10, 150), size=(40, 40))
    found = rules.overlap(_tree(spill, _button(pos=(60, 140), size=(100, 60))))
    assert _rules(found) == {"b-overlap"}


def test_b_transparent_widgets_are_not_seen(harness: Any) -> None:
    hidden = _button("B", pos=(60, 60), opacity=0)
    assert rules.overlap(_tree(_button("A", pos=(10, 10)), hidden)) == []


# (c) clipped or shortened

def test_c_fixed_height_drops_lines(harness: Any) -> None:
    lab = _label("one two three four five six seven eight nine ten", size=(80, 20))
    lab.text_size = (80, 20)
    found = rules.clipped(_tree(lab))
    assert _rules(found) == {"c-clipped"} and "missing" in found[0].detail


def test_c_shortened_without_the_marker(harness: Any) -> None:
    lab = _label("household registration booklet", size=(90, 30), shorten=True)
    lab.text_size = (90, 30)
    found = rules.clipped(_tree(lab))
    assert _rules(found) == {"c-clipped"} and "shortened" in found[0].detail


def test_c_shortened_with_the_marker_is_allowed(harness: Any) -> None:
    lab = _label("household registration booklet", size=(90, 30), shorten=True)
    lab.text_size = (90, 30)
    lab.audit_ellipsize = True
    assert rules.clipped(_tree(lab)) == []


def test_c_text_spilling_out_of_its_widget(harness: Any) -> None:
    found = rules.clipped(_tree(_label("1234567890", size=(20, 20), font_size=30)))
    assert _rules(found) == {"c-clipped"} and "spills" in found[0].detail


def test_c_text_that_fits(harness: Any) -> None:
    lab = _label("one two three", size=(200, 100))
    lab.text_size = (200, 100)
    assert rules.clipped(_tree(lab, _label("短", size=(60, 60)))) == []


# (d) tofu

def test_d_glyph_missing_from_the_font(harness: Any) -> None:
    # Kivy's own Roboto file has no Chinese: a label in it shows boxes
    from kivy import kivy_data_dir
    lab = _label("删除 ⌫", font_name=f"{kivy_data_dir}/fonts/Roboto-Regular.ttf")
    found = rules.glyphs(_tree(lab))
    assert _rules(found) == {"d-tofu"} and "U+5220" in found[0].detail


def test_d_glyphs_present_and_declared_runs(harness: Any) -> None:
    from kivy.core.text import DEFAULT_FONT
    ok = _label("删除 Delete")  # the registered Chinese default font
    runs = _label("删除 ⌫", pos=(10, 100))
    runs.font_runs = [(DEFAULT_FONT, "删除 "), ("DejaVuSans", "⌫")]
    found = rules.glyphs(_tree(ok))
    assert found == []
    # a declared run is checked against its own font: ⌫ in the CJK face is tofu
    runs.font_runs = [(DEFAULT_FONT, "删除 ⌫")]
    assert _rules(rules.glyphs(_tree(runs))) == {"d-tofu"}


# (e) elderly sizes

def test_e_small_target_and_small_text(harness: Any) -> None:
    found = rules.elderly_sizes(_tree(_button(size=(80, 80), font_size=20), scale=1.5))
    details = " ".join(f.detail for f in found)
    assert _rules(found) == {"e-elderly-size"} and "touch target" in details \
        and "text" in details


def test_e_big_enough(harness: Any) -> None:
    assert rules.elderly_sizes(_tree(_button(size=(100, 100), font_size=30), scale=1.5)) == []


def test_e_smaller_in_elderly_than_in_standard(harness: Any) -> None:
    audit = Audit()
    std, old = _button(size=(120, 120)), _button(size=(100, 130))
    std.action = old.action = "next"
    audit.check(_tree(std).root, screen="s", variant="v-standard", elderly=False,
                scale=1.0, pair="v")
    found = audit.check(_tree(old).root, screen="s", variant="v-elderly", elderly=True,
                        scale=1.0, pair="v")
    assert "e-elderly-smaller" in _rules(found)
    # a little narrower because the gaps grew, but taller: not smaller
    bigger = _button(size=(119, 150))
    bigger.action = "next"
    again = audit.check(_tree(bigger).root, screen="s", variant="v-elderly", elderly=True,
                        scale=1.0, pair="v")
    assert "e-elderly-smaller" not in _rules(again)


# (f) 禁则

def test_f_line_starting_with_a_closing_mark(harness: Any) -> None:
    # 10 characters per line at 20 px: the comma falls at the start of line 2
    lab = _label("一二三四五六七八九十，十一", size=(200, 100), font_size=20)
    lab.text_size = (200, None)
    found = rules.kinsoku(_tree(lab))
    assert _rules(found) == {"f-line-break"} and "starts with '，'" in found[0].detail


def test_f_line_ending_with_an_opening_mark(harness: Any) -> None:
    lab = _label("一二三四五六七八九（十一）", size=(200, 100), font_size=20)
    lab.text_size = (200, None)
    assert _rules(rules.kinsoku(_tree(lab))) == {"f-line-break"}


def test_f_good_breaks(harness: Any) -> None:
    lab = _label("一二三四五六七八，九十十一", size=(200, 100), font_size=20)
    lab.text_size = (200, None)
    assert rules.kinsoku(_tree(lab)) == []


def test_audit_report_has_the_agreed_shape(harness: Any, tmp_path: Any) -> None:
    import json
    audit = Audit()
    audit.check(_tree(_button(pos=(350, 10))).root, screen="home",
                variant="township-landscape-zh_CN-standard", elderly=False, scale=1.0)
    report = json.loads(audit.write(tmp_path / "audit.json").read_text(encoding="utf-8"))
    assert report["screens_checked"] == 1
    assert set(report["findings"][0]) == {"screen", "variant", "widget", "rule", "detail"}
    assert audit_tree(_tree(_button(font_size=30)), elderly=True) == []


def test_b_button_text_spilling_over_the_next_button(harness: Any) -> None:
    # a tile whose text is taller than the tile: drawn over the tile above it
    tall = _button("one\ntwo\nthree\nfour", pos=(10, 10), size=(100, 60), font_size=24)
    found = rules.overlap(_tree(tall, _button("B", pos=(10, 75), size=(100, 60))))
    assert _rules(found) == {"b-overlap"}
    short = _button("one", pos=(10, 10), size=(100, 60), font_size=24)
    assert rules.overlap(_tree(short, _button("B", pos=(10, 75), size=(100, 60)))) == []
