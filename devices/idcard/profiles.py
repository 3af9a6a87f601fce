"""Card profiles for the SAM simulator: made-up people on every kind of card.

Every person here is invented; ID numbers carry a correct GB 11643 check
character so that the real decoder accepts them. The photo field is 1024
deterministic bytes that are *not* a real WLT image (the WLT format is the
vendor's secret); :mod:`devices.idcard.photo` can embed a test JPEG instead.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from devices.idcard.protocol import ADDRESS_LEN, PHOTO_LEN
from devices.idcard.text import LONG_TERM, encode_text, make_id_number
from devices.identity import CardType


@dataclass(frozen=True)
class CardProfile:
    key: str
    card_type: CardType
    fields: dict[str, str]
    appended_addresses: tuple[str, ...] = ()
    photo: bytes = b""          # empty = deterministic filler derived from the key
    fingerprint: bytes = field(default=b"", repr=False)

    def text(self) -> bytes:
        return encode_text(self.card_type, self.fields)

    def photo_bytes(self) -> bytes:
        if self.photo:
            return self.photo.ljust(PHOTO_LEN, b"\x00")[:PHOTO_LEN]
        seed = hashlib.sha256(self.key.encode()).digest()
        return (seed * (PHOTO_LEN // len(seed) + 1))[:PHOTO_LEN]

    def fingerprint_bytes(self) -> bytes:
        return self.fingerprint or bytes(1024)

    def appended_address_bytes(self) -> bytes:
        pad = " ".encode("utf-16-le")
        out = b""
        for address in self.appended_addresses:
            raw = address.encode("utf-16-le")
            if len(raw) > ADDRESS_LEN:
                raise ValueError("appended address longer than 70 bytes")
            out += raw + pad * ((ADDRESS_LEN - len(raw)) // 2)
        return out


def _resident(key: str, name: str, sex: str, nation: str, birth: str, first6: str, seq: str,
              valid_from: str, valid_to: str, **extra: str) -> dict[str, str]:
    return {
        "name": name, "sex": sex, "nation": nation, "birth": birth,
        "address": extra.get("address", "浙江省杭州市西湖区文三路100号"),
        "id_number": make_id_number(first6 + birth + seq),
        "authority": extra.get("authority", "杭州市公安局西湖分局"),
        "valid_from": valid_from, "valid_to": valid_to,
    }


def builtin_profiles() -> dict[str, CardProfile]:
    """A fresh dict each call (no module-level registry to mutate)."""
    p = [
        CardProfile("resident", CardType.RESIDENT, _resident(
            "resident", "张三", "1", "01", "19900101", "330106", "123",
            "20200315", "20400315")),
        CardProfile("hmt_permit", CardType.HMT_PERMIT, {
            "name": "陈大文", "sex": "1", "birth": "19920304",
            "address": "浙江省杭州市上城区解放路8号",
            "id_number": make_id_number("81000019920304101"),
            "authority": "杭州市公安局上城分局",
            "valid_from": "20230101", "valid_to": "20280101",
            "permit_number": "H12345678", "issue_count": "01"}),
        CardProfile("foreigner_2017", CardType.FOREIGNER_2017, {
            "english_name": "SMITH, JOHN ALEXANDER", "sex": "1",
            "id_number": "USA330012345678", "nationality": "USA", "name": "史约翰",
            "valid_from": "20180601", "valid_to": "20280601", "birth": "19800202",
            "version": "01", "authority": "3300"}),
        CardProfile("foreigner_2023", CardType.FOREIGNER_2023, {
            "name": "玛丽", "sex": "2", "birth": "19850101",
            "english_name": "MUELLER, MARIA", "id_number": make_id_number("93327619850101002"),
            "authority": "国家移民管理局", "valid_from": "20240105", "valid_to": "20340105",
            "issue_count": "00", "nationality": "DEU", "previous_card_link": "011"}),
        CardProfile("expired", CardType.RESIDENT, _resident(
            "expired", "李四", "2", "01", "19750808", "330102", "224",
            "20050808", "20250808")),
        CardProfile("long_term", CardType.RESIDENT, _resident(
            "long_term", "王五", "1", "03", "19700505", "330183", "331",
            "20160505", LONG_TERM)),
        CardProfile("rare_bmp", CardType.RESIDENT, _resident(
            "rare_bmp", "刘䶮", "1", "01", "19950606", "330104", "412",
            "20150606", "20350606")),
        CardProfile("rare_astral", CardType.RESIDENT, _resident(
            "rare_astral", "𠮷田花", "2", "01", "20000707", "330105", "524",
            "20210707", "20310707")),
        # 𪚥 (U+2A6A5, Ext B) is not in Noto Sans CJK SC: drawn by the fallback fonts.
        CardProfile("rare_extb", CardType.RESIDENT, _resident(
            "rare_extb", "王𪚥", "1", "01", "19880808", "330108", "536",
            "20180808", "20380808")),
        CardProfile("elderly", CardType.RESIDENT, _resident(
            "elderly", "赵桂英", "2", "01", "19380909", "330127", "662",
            "20080909", LONG_TERM, address="浙江省杭州市淳安县千岛湖镇梦姑路18号"),
            appended_addresses=("浙江省杭州市淳安县千岛湖镇新安东路9号",)),
        CardProfile("minority", CardType.RESIDENT, _resident(
            "minority", "阿依古丽", "2", "05", "19981212", "650102", "748",
            "20191212", "20291212", address="新疆乌鲁木齐市天山区解放北路1号",
            authority="乌鲁木齐市公安局天山分局")),
    ]
    return {c.key: c for c in p}
