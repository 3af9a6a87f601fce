"""Text decoding of every card layout, code tables and the expiry check."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest

from devices.idcard.codes import NATIONS
from devices.idcard.profiles import builtin_profiles
from devices.idcard.text import (
    card_type_of,
    decode_address,
    decode_text,
    encode_text,
    is_expired,
    make_id_number,
)
from kiosk.clock import FakeClock
from kiosk.errors import ProtocolError
from kiosk.identity import CardType, is_valid_id_number

PROFILES = builtin_profiles()


def resident_text(**over: str) -> bytes:
    fields = dict(PROFILES["resident"].fields)
    fields.update(over)
    return encode_text(CardType.RESIDENT, fields)


def test_resident_fields_at_their_offsets() -> None:
    text = PROFILES["resident"].text()
    assert len(text) == 256
    # Byte-level: name at 0, sex at 30, nation at 32, ID at 122, flag at 248 (space).
    assert text[0:4] == "张三".encode("utf-16-le")
    assert text[30:32] == b"1\x00"
    assert text[32:36] == "01".encode("utf-16-le")
    assert text[36:52] == "19900101".encode("utf-16-le")
    assert text[204:220] == "20400315".encode("utf-16-le")
    assert text[248:250] == b" \x00"
    ident = decode_text(text)
    assert ident.card_type is CardType.RESIDENT
    assert (ident.name, ident.sex, ident.nation) == ("张三", "1", "01")
    assert ident.birth == date(1990, 1, 1)
    assert ident.address == "浙江省杭州市西湖区文三路100号"
    assert ident.authority == "杭州市公安局西湖分局"
    assert ident.valid_from == date(2020, 3, 15)
    assert ident.valid_to == date(2040, 3, 15)
    assert not ident.long_term
    assert is_valid_id_number(ident.id_number)
    assert ident.id_number.startswith("330106199001011")


def test_long_term_card() -> None:
    ident = decode_text(PROFILES["long_term"].text())
    assert ident.long_term and ident.valid_to is None
    assert PROFILES["long_term"].text()[204:208] == "长期".encode("utf-16-le")
    assert not ident.expired(date(2100, 1, 1))


def test_hmt_permit() -> None:
    text = PROFILES["hmt_permit"].text()
    assert text[248:250] == b"J\x00"
    assert text[220:238] == "H12345678".encode("utf-16-le")
    ident = decode_text(text)
    assert ident.card_type is CardType.HMT_PERMIT
    assert ident.id_number.startswith("81")
    assert (ident.permit_number, ident.issue_count, ident.nation) == ("H12345678", "01", "")


def test_foreigner_2017() -> None:
    text = PROFILES["foreigner_2017"].text()
    assert text[248:250] == b"I\x00"
    assert text[0:10] == "SMITH".encode("utf-16-le")
    assert text[152:158] == "USA".encode("utf-16-le")
    ident = decode_text(text)
    assert ident.card_type is CardType.FOREIGNER_2017
    assert ident.english_name == "SMITH, JOHN ALEXANDER"
    assert ident.name == "史约翰"
    assert ident.id_number == "USA330012345678"
    assert ident.nationality == "USA"
    assert ident.birth == date(1980, 2, 2)
    assert ident.authority == "3300"


def test_foreigner_2017_without_chinese_name_uses_english_name() -> None:
    fields = dict(PROFILES["foreigner_2017"].fields, name="")
    ident = decode_text(encode_text(CardType.FOREIGNER_2017, fields))
    assert ident.name == "SMITH, JOHN ALEXANDER"


def test_foreigner_2023() -> None:
    text = PROFILES["foreigner_2023"].text()
    assert text[248:250] == b"Y\x00"
    ident = decode_text(text)
    assert ident.card_type is CardType.FOREIGNER_2023
    assert ident.id_number[0] == "9" and is_valid_id_number(ident.id_number)
    assert (ident.name, ident.english_name, ident.nationality) == ("玛丽", "MUELLER, MARIA", "DEU")


def test_rare_characters() -> None:
    assert decode_text(PROFILES["rare_bmp"].text()).name == "刘䶮"
    text = PROFILES["rare_astral"].text()
    # 𠮷 is outside the BMP: stored as the UTF-16 surrogate pair D842 DFB7.
    assert text[0:4] == bytes.fromhex("42D8B7DF")
    assert decode_text(text).name == "𠮷田花"


def test_lone_surrogate_is_a_protocol_error() -> None:
    text = bytearray(PROFILES["resident"].text())
    text[0:2] = bytes.fromhex("42D8")
    text[2:4] = b"A\x00"
    with pytest.raises(ProtocolError):
        decode_text(bytes(text))


@pytest.mark.parametrize(("field", "value"), [
    ("sex", "3"), ("nation", "57"), ("nation", "99"), ("birth", "19900230"),
    ("birth", "1990010"), ("valid_to", "长久"), ("id_number", "330106199001011230"),
])
def test_bad_fields_are_protocol_errors(field: str, value: str) -> None:
    with pytest.raises(ProtocolError):
        decode_text(resident_text(**{field: value}))


def test_unknown_region_code_is_accepted() -> None:
    number = make_id_number("99999919900101123")
    assert decode_text(resident_text(id_number=number)).id_number == number


def test_lowercase_x_check_character_is_normalised() -> None:
    first17 = next(f"33010619900101{i:03d}" for i in range(1000)
                   if make_id_number(f"33010619900101{i:03d}").endswith("X"))
    ident = decode_text(resident_text(id_number=first17 + "x"))
    assert ident.id_number.endswith("X")


def test_permit_prefix_checked() -> None:
    fields = dict(PROFILES["hmt_permit"].fields, id_number=make_id_number("33000019920304101"))
    with pytest.raises(ProtocolError, match="81, 82 or 83"):
        decode_text(encode_text(CardType.HMT_PERMIT, fields))


def test_unknown_flag_and_wrong_length() -> None:
    text = bytearray(PROFILES["resident"].text())
    text[248:250] = b"Q\x00"
    with pytest.raises(ProtocolError):
        card_type_of(bytes(text))
    with pytest.raises(ProtocolError):
        decode_text(bytes(255))


def test_all_nations_decode() -> None:
    assert len(NATIONS) == 58
    for code in NATIONS:
        assert decode_text(resident_text(nation=code)).nation == code


def test_expiry_uses_the_injected_clock_in_china_time() -> None:
    ident = decode_text(PROFILES["expired"].text())  # valid to 2025-08-08
    assert ident.valid_to == date(2025, 8, 8)
    # 2025-08-08 16:30 UTC is already 2025-08-09 in Beijing.
    assert not is_expired(ident, FakeClock(datetime(2025, 8, 8, 15, 0, tzinfo=UTC)))
    assert is_expired(ident, FakeClock(datetime(2025, 8, 8, 16, 30, tzinfo=UTC)))
    assert not is_expired(decode_text(PROFILES["resident"].text()), FakeClock())


def test_appended_address_record() -> None:
    raw = PROFILES["elderly"].appended_address_bytes()
    assert len(raw) == 70
    assert decode_address(raw) == "浙江省杭州市淳安县千岛湖镇新安东路9号"


def test_every_profile_decodes() -> None:
    for profile in PROFILES.values():
        assert decode_text(profile.text()).card_type is profile.card_type


def test_foreigner_2023_assumed_slots_do_not_overlap() -> None:
    from devices.idcard.text import FOREIGNER_2023, TYPE_FLAG
    used = sorted([(s.offset, s.offset + s.length) for s in FOREIGNER_2023.values()]
                  + [(TYPE_FLAG.offset, TYPE_FLAG.offset + 2)])
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(used))
    assert sum(e - b for b, e in used) == 256
    text = PROFILES["foreigner_2023"].text()
    assert text[32:36] == "00".encode("utf-16-le")
    assert text[250:256] == "011".encode("utf-16-le")
    long_name = "VAN DER BERG-MUELLER, MARIA ALEXANDRA KATHRIN"   # 45 > 35 characters
    fields = dict(PROFILES["foreigner_2023"].fields, english_name=long_name[:35],
                  english_name_more=long_name[35:])
    assert decode_text(encode_text(CardType.FOREIGNER_2023, fields)).english_name == long_name


def test_continued_english_name_keeps_a_space_at_the_split() -> None:
    fields = dict(PROFILES["foreigner_2023"].fields,
                  english_name="VAN DER BERG-MUELLER, MARIA JOHANN ", english_name_more="KATHRIN")
    assert len(fields["english_name"]) == 35
    ident = decode_text(encode_text(CardType.FOREIGNER_2023, fields))
    assert ident.english_name == "VAN DER BERG-MUELLER, MARIA JOHANN KATHRIN"
