"""Serial scanner framing: byte-exact codes, AIM identifiers, partial and garbage lines."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devices.codescanner.framing import Code, CodeFramer, Reject, Terminator


def test_codes_split_on_the_terminator_across_reads() -> None:
    f = CodeFramer()
    assert f.feed(b"https://k.example/q/XD-2611", 0.0) == []
    assert f.feed(b"22-0042-7\rSECOND", 0.05) == [Code("https://k.example/q/XD-261122-0042-7")]
    assert f.feed(b"\r", 0.1) == [Code("SECOND")]


def test_crlf_and_aim_identifier() -> None:
    f = CodeFramer(terminator=Terminator.CRLF, aim_prefix=True)
    assert f.feed(b"]Q1ZLB:abc123\r\n]C012345\r\n", 0) == [
        Code("ZLB:abc123", "qr"), Code("12345", "code128")]


def test_partial_code_dropped_after_silence_not_joined_to_the_next() -> None:
    f = CodeFramer(idle_s=0.3)
    f.feed(b"HALF-A-CO", 0.0)
    assert f.tick(0.2) == []
    assert f.tick(0.5) == [Reject.PARTIAL]
    assert f.feed(b"WHOLE\r", 0.6) == [Code("WHOLE")]


def test_noise_and_control_characters() -> None:
    f = CodeFramer()
    assert f.feed(b"\x00\x00\r", 0) == []          # NUL noise between codes: nothing
    assert f.feed(b"AB\x07CD\r", 0) == [Reject.GARBLED]
    assert f.feed(b"\xff\xfe\xfd\r", 0) == [Reject.GARBLED]
    assert f.feed("社保卡".encode("gb18030") + b"\r", 0) == [Code("社保卡")]
    gs1 = b"]d2010123456789012810ABC\x1d17250101\r"
    assert CodeFramer(aim_prefix=True).feed(gs1, 0) == [
        Code("010123456789012810ABC\x1d17250101", "datamatrix")]


def test_flood_is_discarded_up_to_the_next_terminator() -> None:
    f = CodeFramer(max_len=16)
    assert f.feed(b"X" * 100 + b"\r", 0) == [Reject.TOO_LONG]
    assert f.feed(b"OK\r", 0) == [Code("OK")]


def test_code_repr_hides_the_content() -> None:
    assert "secret" not in repr(Code("secret-token", "qr"))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20), st.sampled_from(list(Terminator)),
       st.booleans())
def test_any_bytes_only_give_codes_or_rejects(chunks: list[bytes], term: Terminator,
                                              aim: bool) -> None:
    f = CodeFramer(terminator=term, aim_prefix=aim, max_len=256)
    now = 0.0
    for chunk in chunks:
        now += 0.1
        for item in f.feed(chunk, now):
            assert isinstance(item, Code | Reject)
            if isinstance(item, Code):
                assert item.text and len(item.text.encode("utf-8", "surrogatepass")) <= 256 * 4


@given(st.lists(st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7e),
                        min_size=1, max_size=80), min_size=1, max_size=10),
       st.integers(1, 7))
def test_codes_survive_any_chunking(codes: list[str], step: int) -> None:
    stream = b"".join(c.encode() + b"\r" for c in codes)
    f = CodeFramer()
    got: list[Code | Reject] = []
    for i in range(0, len(stream), step):
        got += f.feed(stream[i:i + step], 0.0)
    assert got == [Code(c.strip("\x00")) for c in codes if c.strip("\x00")]
