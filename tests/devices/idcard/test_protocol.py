"""Byte-exact tests of the SAM framing, written from the protocol facts (GA/T 467).

The hex fixtures were computed by hand from the rule "CHK = XOR of LEN..last data
byte", not by the code under test.
"""

from __future__ import annotations

import pytest

from devices.idcard import errors as e
from devices.idcard.protocol import (
    STATUS_ERRORS,
    CardData,
    Command,
    FrameDecoder,
    Request,
    Response,
    SamFraming,
    Sw3,
    encode_sam_id,
    parse_sam_id,
    response_for,
    split_addresses,
)
from kiosk.errors import CardError, NoCard, ProtocolError

F = SamFraming()

REQUESTS = {
    Command.RESET_SAM: "AAAAAA9669 0003 10FF EC",
    Command.SAM_STATUS: "AAAAAA9669 0003 11FF ED",
    Command.SAM_ID: "AAAAAA9669 0003 12FF EE",
    Command.FIND_CARD: "AAAAAA9669 0003 2001 22",
    Command.SELECT_CARD: "AAAAAA9669 0003 2002 21",
    Command.READ_TEXT_PHOTO: "AAAAAA9669 0003 3001 32",
    Command.READ_APPENDED_ADDRESS: "AAAAAA9669 0003 3003 30",
    Command.READ_TEXT_PHOTO_FP: "AAAAAA9669 0003 3010 23",
}


def h(s: str) -> bytes:
    return bytes.fromhex(s.replace(" ", ""))


@pytest.mark.parametrize(("command", "wire"), REQUESTS.items(),
                         ids=lambda x: getattr(x, "name", ""))
def test_request_bytes(command: Command, wire: str) -> None:
    assert F.wrap(Request(command).body()) == h(wire)
    assert Request.parse(F.unwrap(h(wire))) == Request(command)


def test_find_card_is_the_documented_frame() -> None:
    assert F.wrap(Request(Command.FIND_CARD).body()).hex(" ").upper() == \
        "AA AA AA 96 69 00 03 20 01 22"


RESPONSES = [
    # (sw3, data, wire)
    (0x90, b"", "AAAAAA9669 0004 000090 94"),                 # reset / SAM status ok
    (0x9F, bytes(4), "AAAAAA9669 0008 00009F 00000000 97"),   # find ok
    (0x90, bytes(8), "AAAAAA9669 000C 000090 0000000000000000 9C"),  # select ok
    (0x80, b"", "AAAAAA9669 0004 000080 84"),                 # find failed
    (0x81, b"", "AAAAAA9669 0004 000081 85"),                 # select failed
    (0x66, b"", "AAAAAA9669 0004 000066 62"),                 # SAM not authorised
    (0x91, b"", "AAAAAA9669 0004 000091 95"),                 # no content
]


@pytest.mark.parametrize(("sw3", "data", "wire"), RESPONSES)
def test_response_bytes(sw3: int, data: bytes, wire: str) -> None:
    assert F.wrap(response_for(sw3, data).body()) == h(wire)
    assert Response.parse(F.unwrap(h(wire))) == Response(0, 0, sw3, data)


def test_read_response_is_1295_bytes_with_lengths_big_endian() -> None:
    text = bytes(range(256))
    photo = bytes([0x57]) * 1024
    wire = F.wrap(response_for(0x90, CardData(text, photo).encode(False)).body())
    assert len(wire) == 1295
    assert wire[:14] == h("AAAAAA9669 0508 000090 0100 0400")
    expected_chk = 0
    for b in wire[5:-1]:
        expected_chk ^= b
    assert wire[-1] == expected_chk
    parsed = CardData.parse(Response.parse(F.unwrap(wire)).data, False)
    assert parsed == CardData(text, photo)


def test_read_with_fingerprint_is_2321_bytes() -> None:
    data = CardData(bytes(256), bytes(1024), bytes(1024)).encode(True)
    wire = F.wrap(response_for(0x90, data).body())
    assert len(wire) == 2321
    assert wire[5:7] == h("090A")  # 2314 = 3 SW + 6 lengths + 2304 data + 1 CHK
    assert CardData.parse(Response.parse(F.unwrap(wire)).data, True).fingerprint == bytes(1024)


def test_every_failure_status_maps_to_a_typed_error() -> None:
    expected = {
        0x10: e.SamRejectedFrame, 0x11: e.SamRejectedFrame, 0x21: e.SamRejectedFrame,
        0x23: e.CardNotPermitted, 0x24: e.SamUnknownError,
        0x31: e.CardAuthFailed, 0x32: e.CardAuthFailed, 0x33: e.CardAuthFailed,
        0x40: e.UnknownCardType, 0x41: e.CardReadFailed, 0x47: e.CardReadFailed,
        0x60: e.SamFault, 0x66: e.SamNotAuthorised,
        0x80: e.CardNotFound, 0x81: e.CardSelectFailed, 0x91: e.NoContent,
    }
    assert {int(k): v for k, v in STATUS_ERRORS.items()} == expected
    for sw3, cls in expected.items():
        with pytest.raises(cls) as info:
            response_for(sw3).check(Command.FIND_CARD)
        assert info.value.sw3 == sw3  # type: ignore[attr-defined]
        assert isinstance(info.value, CardError | ProtocolError)
    assert issubclass(e.CardNotFound, NoCard)
    assert issubclass(e.CardSelectFailed, NoCard)


def test_success_statuses_pass_and_unknown_status_is_a_protocol_error() -> None:
    assert response_for(Sw3.OK).check(Command.SAM_STATUS).ok
    assert response_for(Sw3.FIND_OK, bytes(4)).check(Command.FIND_CARD).ok
    with pytest.raises(ProtocolError, match="unknown status SW3=55"):
        response_for(0x55).check(Command.SAM_STATUS)


def test_bad_checksum_and_bad_length_are_protocol_errors() -> None:
    good = h("AAAAAA9669 0004 000090 94")
    with pytest.raises(ProtocolError, match="checksum"):
        F.unwrap(good[:-1] + b"\x95")
    with pytest.raises(ProtocolError):
        F.unwrap(h("AAAAAA9669 0002 0002"))
    with pytest.raises(ProtocolError):
        F.frame_length(h("AAAAAA9669 FFFF"))


def test_decoder_skips_garbage_and_reassembles_split_frames() -> None:
    frame = h("AAAAAA9669 0008 00009F 00000000 97")
    d = FrameDecoder()
    out = []
    stream = b"\x00\xAA\x13garbage" + frame + b"\xAA\xAA" + frame
    for i in range(0, len(stream), 3):
        out += d.feed(stream[i:i + 3])
    assert [o.raw for o in out if not isinstance(o, ProtocolError)] == [frame, frame]
    assert d.discarded == 12


def test_decoder_resynchronises_after_a_truncated_frame() -> None:
    good = h("AAAAAA9669 0004 000090 94")
    truncated = F.wrap(response_for(0x90, bytes(200)).body())[:40]
    # The truncated frame announces 211 bytes and swallows what follows; its checksum
    # fails, and the decoder restarts one byte after its preamble, finding `good` again.
    d = FrameDecoder()
    out = d.feed(truncated) + d.feed(good) + d.feed(bytes(200)) + d.feed(good)
    assert [type(o) for o in out] == [ProtocolError, type(out[1]), type(out[2])]
    assert [o.raw for o in out[1:]] == [good, good]  # type: ignore[union-attr]


def test_decoder_reports_absurd_length_and_keeps_going() -> None:
    good = h("AAAAAA9669 0004 000090 94")
    out = FrameDecoder().feed(h("AAAAAA9669 FFFF") + good)
    assert isinstance(out[0], ProtocolError)
    assert out[-1].raw == good  # type: ignore[union-attr]


def test_read_data_with_wrong_lengths_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        CardData.parse(h("0100 0400") + bytes(10), False)
    with pytest.raises(ProtocolError):
        CardData.parse(h("0200 0400") + bytes(512 + 1024), False)


def test_unknown_command_and_short_bodies() -> None:
    with pytest.raises(ProtocolError):
        Request.parse(h("9999"))
    with pytest.raises(ProtocolError):
        Response.parse(h("0000"))


def test_sam_id_round_trip() -> None:
    sam = "05.01-20101010-0012345678-1234567890"
    raw = encode_sam_id(sam)
    assert len(raw) == 16
    assert parse_sam_id(raw) == sam
    with pytest.raises(ProtocolError):
        parse_sam_id(raw[:15])


def test_appended_addresses_are_70_byte_records() -> None:
    assert split_addresses(bytes(140)) == (bytes(70), bytes(70))
    with pytest.raises(ProtocolError):
        split_addresses(bytes(71))


class StxFraming:
    """Another reader family's framing (STX, 1-byte length, body, additive checksum),
    to show that the decoder takes any :class:`Framing`."""

    name = "stx"
    preamble = b"\x02"
    header_len = 2
    max_frame_len = 64

    def wrap(self, body: bytes) -> bytes:
        return b"\x02" + bytes([len(body)]) + body + bytes([sum(body) & 0xFF])

    def frame_length(self, header: bytes) -> int:
        if header[1] > self.max_frame_len - 3:
            raise ProtocolError("too long")
        return header[1] + 3

    def unwrap(self, frame: bytes) -> bytes:
        body = frame[2:-1]
        if sum(body) & 0xFF != frame[-1]:
            raise ProtocolError("bad sum")
        return body


def test_framing_is_pluggable() -> None:
    f = StxFraming()
    d = FrameDecoder(f)
    out = d.feed(b"noise" + f.wrap(b"\x20\x01") + b"\x02\x01\x05\x07" + f.wrap(b"ok"))
    assert [o.body for o in out if not isinstance(o, ProtocolError)] == [b"\x20\x01", b"ok"]
    assert sum(isinstance(o, ProtocolError) for o in out) == 1
