"""Social security card APDUs: byte-exact commands, chaining, records, typed errors, fuzzing."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.sscard.apdu import (
    BASICS,
    CARD_NUMBER,
    EF06,
    GET_UID,
    SSSE_AID,
    Apdu,
    RApdu,
    check,
    decode_basics,
    decode_value,
    encode_value,
    exchange,
    read_record,
    select_by_name,
    select_ef,
    unwrap_record,
)
from devices.sscard.base import read_basics
from devices.sscard.errors import NotSocialSecurityCard, SsCardReadFailed
from devices.sscard.virtual_card import SsPerson, VirtualSsCard
from kiosk.errors import ProtocolError
from kiosk.identity import CardType


def test_command_bytes() -> None:
    assert select_by_name(SSSE_AID).encode().hex().upper() == \
        "00A404000F7378312E73682EC9E7BBE1B1A3D5CF"
    assert select_ef(EF06).encode().hex().upper() == "00A4020002EF06"
    assert read_record(0x07, 0x2C).encode().hex().upper() == "00B2072C00"
    assert read_record(0x09).encode().hex().upper() == "00B2090000"
    assert GET_UID.encode().hex().upper() == "FFCA000000"
    assert Apdu(0, 0xC0, 0, 0, le=0x11).encode() == bytes.fromhex("00C0000011")


class Recorder:
    """The virtual card's APDU logic as a transmit function (no transport)."""

    def __init__(self, card: VirtualSsCard) -> None:
        self.card = card
        self.sent: list[bytes] = []

    def __call__(self, raw: bytes) -> RApdu:
        self.sent.append(raw)
        return self.card.answer(raw)


def test_61xx_is_followed_by_get_response() -> None:
    tx = Recorder(VirtualSsCard())
    answer = exchange(tx, select_by_name(SSSE_AID))
    assert answer.sw == 0x9000 and SSSE_AID in answer.data
    assert tx.sent[1] == bytes.fromhex("00C0000013")   # 61 13 -> GET RESPONSE Le=13


def test_6cxx_resends_with_the_exact_le() -> None:
    tx = Recorder(VirtualSsCard())
    exchange(tx, select_by_name(SSSE_AID))
    exchange(tx, select_ef(EF06))
    answer = exchange(tx, read_record(0x08))
    assert tx.sent[-2:] == [bytes.fromhex("00B2080000"), bytes.fromhex("00B2080014")]
    assert unwrap_record(BASICS["id_number"], answer.data) == b"330106199001011237"


def test_endless_chaining_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="chaining"):
        exchange(lambda raw: RApdu(b"x", 0x61, 0x01), GET_UID)


def test_read_basics_through_the_card_logic() -> None:
    card = VirtualSsCard(SsPerson(name="刘䶮", sex="2", nation="05"))

    class Conn:
        def transmit(self, apdu: bytes) -> RApdu:
            return card.answer(apdu)

        def atr(self) -> bytes:
            return card.atr

        def present(self) -> bool:
            return True

        def close(self) -> None:
            pass

    read = read_basics(Conn())
    ident = read.identity
    assert ident.card_type is CardType.SOCIAL_SECURITY
    assert (ident.name, ident.sex, ident.nation) == ("刘䶮", "2", "05")
    assert ident.birth is not None and ident.birth.isoformat() == "1990-01-01"
    assert read.card_number == "A33010600" and read.uid == bytes.fromhex("5A3C7E01")


@pytest.mark.parametrize(("sw", "what", "error"), [
    (0x6A82, "select SSSE", NotSocialSecurityCard),
    (0x6A83, "read EF06/08", SsCardReadFailed),
    (0x6982, "read EF06/08", SsCardReadFailed),
    (0x6700, "read EF06/08", ProtocolError),
    (0x6D00, "read EF06/08", ProtocolError),
])
def test_status_words_are_typed(sw: int, what: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        check(RApdu(b"", sw >> 8, sw & 0xFF), what)


def test_foreign_card_has_no_ssse() -> None:
    card = VirtualSsCard()
    card.foreign = True
    with pytest.raises(NotSocialSecurityCard):
        check(exchange(card.answer, select_by_name(SSSE_AID)), "select SSSE")


def test_records_round_trip() -> None:
    assert decode_value(BASICS["birth"], encode_value(BASICS["birth"], "19900101")) == "19900101"
    assert decode_value(BASICS["name"], encode_value(BASICS["name"], "𠮷田")) == "𠮷田"
    assert decode_value(CARD_NUMBER, encode_value(CARD_NUMBER, "A33010600")) == "A33010600"
    with pytest.raises(ProtocolError):
        unwrap_record(BASICS["sex"], bytes.fromhex("0B0131"))   # wrong tag
    with pytest.raises(ProtocolError):
        decode_value(BASICS["birth"], bytes.fromhex("1990AB01"))
    with pytest.raises(ProtocolError):
        decode_basics({"name": "张三", "id_number": "x", "sex": "1", "nation": "01",
                       "birth": "19900231", "birth_place": ""})


@settings(max_examples=300, deadline=None)
@given(raw=st.binary(max_size=64), number=st.sampled_from(sorted(r.number for r in
                                                                  BASICS.values())))
def test_fuzz_response_parsing_raises_only_protocol_error(raw: bytes, number: int) -> None:
    record = next(r for r in BASICS.values() if r.number == number)
    with contextlib.suppress(ProtocolError):
        RApdu.parse(raw)
    with contextlib.suppress(ProtocolError):
        decode_value(record, unwrap_record(record, raw))
