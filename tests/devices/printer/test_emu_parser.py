"""The emulator's ESC/POS parser and print head: exact parses, and fuzzing."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devices.printer import commands as cmd
from devices.printer.document import Align
from devices.printer.emu_paper import Paper
from devices.printer.emu_parser import Block, Command, Parser, Raster, Skipped, Status, Text
from devices.printer.glyphs import GlyphCache


def test_commands_split_anywhere_parse_the_same() -> None:
    stream = (cmd.INIT + cmd.align(Align.CENTER) + "受理".encode("gb18030") + cmd.LF
              + cmd.STATUS_PAPER + cmd.raster(1, 2, b"\xf0\x0f") + cmd.qr("AB", 3, "L")
              + cmd.cut(True) + b"\x1b\x7f")
    whole = Parser().feed(stream)
    for size in (1, 2, 3, 7):
        p = Parser()
        events = []
        for i in range(0, len(stream), size):
            events += p.feed(stream[i:i + size])
        # Text may arrive in more pieces; join adjacent text before comparing.
        assert _join(events) == _join(whole)
        assert p.pending == 0
    assert whole[0] == Command("ESC @")
    assert whole[1] == Command("ESC a", (1,))
    assert whole[2] == Text("受理".encode("gb18030"))
    assert Status("EOT", 4) in whole
    assert Raster(0, 1, 2, b"\xf0\x0f") in whole
    assert Block("GS (k", b"1P0AB") in whole
    assert Command("GS V", (66, 0)) in whole
    assert whole[-1] == Skipped("ESC 0x7f", 2)


def _join(events: list[object]) -> list[object]:
    out: list[object] = []
    for e in events:
        if isinstance(e, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].data + e.data)
        else:
            out.append(e)
    return out


def test_oversized_payload_is_skipped_without_buffering() -> None:
    p = Parser(max_payload=1000)
    events = p.feed(b"\x1dv0\x00\xff\xff\xff\xff" + b"\x00" * 5000)
    assert isinstance(events[0], Skipped) and events[0].length == 0xFFFF * 0xFFFF
    assert p.pending == 0


def test_print_head_draws_text_raster_and_qr(glyphs: GlyphCache) -> None:
    paper = Paper(384, glyphs)
    events = Parser().feed(cmd.INIT + cmd.CHINESE_ON + "受理 A".encode("gb18030") + cmd.LF
                           + cmd.raster(1, 1, b"\xff") + cmd.qr("HELLO", 2, "M")
                           + cmd.cut(True))
    jobs = [j for j in (paper.apply(e) for e in events) if j is not None]
    assert len(jobs) == 1
    job = jobs[0]
    assert job.complete and job.lines == ["受理 A"] and job.qr_payloads == ["HELLO"]
    assert len(job.rasters) == 1 and job.rasters[0].tolist() == [[True] * 8]
    img = np.asarray(job.image(384))
    assert img.shape[1] == 384 + 32 and (img == 0).any()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=600), cuts=st.lists(st.integers(1, 64), max_size=20))
def test_fuzz_arbitrary_bytes_never_crash_or_hang(data: bytes, cuts: list[int],
                                                  glyphs: GlyphCache) -> None:
    parser = Parser(max_payload=4096)
    paper = Paper(384, glyphs)
    pos = 0
    for size in [*cuts, len(data)]:
        chunk = data[pos:pos + size]
        pos += size
        for event in parser.feed(chunk):
            paper.apply(event)
    assert parser.pending <= len(data)
    paper.cut().image(384)


# Streams made of real command prefixes find the deeper paths faster than random bytes.
prefixes = st.sampled_from([b"\x1b", b"\x1d", b"\x1c", b"\x10", b"\x1dv0", b"\x1d(k", b"\x1dV",
                            b"\x1b*", b"\x1dk", b"\x1d8L", b"\x1b!", b"\x1d!", b"\x1ba", b"\n",
                            b"\x1c&", "𠮷受".encode("gb18030"), b"\xff\xfe\x81"])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.tuples(prefixes, st.binary(max_size=8)), max_size=40))
def test_fuzz_command_shaped_streams(parts: list[tuple[bytes, bytes]],
                                     glyphs: GlyphCache) -> None:
    parser = Parser(max_payload=4096)
    paper = Paper(384, glyphs)
    for prefix, tail in parts:
        for event in parser.feed(prefix + tail):
            paper.apply(event)
    paper.cut().image(384)


def test_emulator_survives_junk_over_tcp_and_still_answers(emulator: object) -> None:
    import random
    import socket

    from devices.printer.emulator import PrinterEmulator

    assert isinstance(emulator, PrinterEmulator)
    rng = random.Random(5)
    junk = bytes(rng.randrange(256) for _ in range(4000))
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as s:
        s.sendall(junk)
    # Junk may end inside a declared payload; a new connection starts a new parse.
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=5) as s:
        s.sendall(cmd.STATUS_PAPER)
        assert s.recv(1) == b"\x12"
