"""A small catalog and identities for the journey tests (not a test module)."""

from __future__ import annotations

from datetime import date
from typing import Any

from kiosk.catalog import Catalog
from kiosk.identity import CardType, Identity, id_check_char

NAME = "欧阳娜娜"
FIRST17 = "33010919850312004"
ID_NUMBER = FIRST17 + id_check_char(FIRST17)
ADDRESS = "浙江省杭州市萧山区城厢街道人民路88号"


def identity(card_type: CardType = CardType.RESIDENT, *, valid_to: date | None = None,
             long_term: bool = True) -> Identity:
    return Identity(card_type=card_type, name=NAME, id_number=ID_NUMBER, sex="2",
                    birth=date(1985, 3, 12), nation="01", address=ADDRESS,
                    authority="杭州市公安局萧山分局", valid_from=date(2015, 1, 1),
                    valid_to=valid_to, long_term=long_term and valid_to is None)


def _t(zh: str, en: str) -> dict[str, str]:
    return {"zh_CN": zh, "en": en}


def _item(code: str, *, identity: str = "card", materials: list[dict[str, Any]] | None = None,
          form: list[dict[str, Any]] | None = None, signature: bool = False) -> dict[str, Any]:
    return {"code": code, "name": _t(f"事项{code}", f"Item {code}"), "department": "mz",
            "applicant": "individual", "steps": [_t("申请", "Apply")],
            "fee": _t("免费", "Free"), "collect": _t("窗口领取", "At the window"),
            "channel": "kiosk_intake", "identity": identity,
            "materials": materials or [], "form": form or [], "signature": signature}


def _mat(code: str, **kw: Any) -> dict[str, Any]:
    return {"code": code, "name": _t(f"材料{code}", f"Material {code}"), "form": "original",
            **kw}


NAME_FIELD = {"name": "applicant_name", "label": _t("姓名", "Name"), "type": "text",
              "prefill": "card.name"}
ID_FIELD = {"name": "id_number", "label": _t("身份证号", "ID number"), "type": "id_number",
            "prefill": "card.id_number"}
PHONE_FIELD = {"name": "phone", "label": _t("手机", "Phone"), "type": "phone"}
BIRTH_FIELD = {"name": "birth", "label": _t("出生日期", "Birth"), "type": "date",
               "prefill": "card.birth"}


def catalog() -> Catalog:
    return Catalog.model_validate({
        "version": "test", "sample": True,
        "departments": [{"id": "mz", "name": _t("民政", "Civil affairs")}],
        "items": [
            # A simple item: card only, one material, a short form.
            _item("T-SIMPLE", materials=[_mat("HK")],
                  form=[NAME_FIELD, ID_FIELD, PHONE_FIELD]),
            # Face, a 容缺 material, a shared material, a signature.
            _item("T-DEFER", identity="card_or_sscard+face",
                  materials=[_mat("HK"),
                             _mat("JH", deferrable=True, supplement_days=14),
                             _mat("SB", exempt_by_sharing=True),
                             _mat("YX", required=False, capture="none")],
                  form=[NAME_FIELD, BIRTH_FIELD, PHONE_FIELD], signature=True),
            # Two items of a bundle sharing HK and the phone question.
            _item("T-B1", identity="card+face", materials=[_mat("HK"), _mat("ZP")],
                  form=[NAME_FIELD, PHONE_FIELD]),
            _item("T-B2", identity="card_or_sscard", materials=[_mat("HK"), _mat("CS")],
                  form=[PHONE_FIELD, ID_FIELD], signature=True),
            _item("T-BARE"),
        ],
        "bundles": [{"code": "T-BUNDLE", "name": _t("两证联办", "Two in one"),
                     "items": ["T-B1", "T-B2"], "departments": ["mz"],
                     "description": _t("一次办", "Once")}],
    })


JPEG = b"\xff\xd8\xff\xe0" + b"page" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"sig" * 50


def find_personal(obj: Any, needles: tuple[str, ...], seen: set[int]) -> list[str]:
    """Every needle found in any string or buffer reachable from ``obj`` (vars, containers)."""
    if id(obj) in seen:
        return []
    seen.add(id(obj))
    found: list[str] = []
    if isinstance(obj, str | bytes | bytearray):
        text = obj if isinstance(obj, str) else bytes(obj).decode("utf-8", "ignore")
        return [n for n in needles if n in text]
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += find_personal(k, needles, seen) + find_personal(v, needles, seen)
    elif isinstance(obj, list | tuple | set | frozenset):
        for v in obj:
            found += find_personal(v, needles, seen)
    elif hasattr(obj, "__dict__") and not isinstance(obj, type):
        found += find_personal(vars(obj), needles, seen)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            found += find_personal(getattr(obj, name), needles, seen)
    return found
