"""二代证 readers with the 华视 (Chinese Vision) SDK: the ``CVR_*`` C API through ctypes.

The other common vendor flavour beside ``SDT_*`` (:mod:`devices.idcard.sdk`); the
configuration chooses it with ``sdk_flavour: cvr`` and ``sdk_library`` (the vendor's
``libtermb.so``). The library hides the SAM behind a higher-level API:

=================================  =====================================================
``CVR_InitComm(int port)``         open the reader: 1 ok, 2 the port could not be
                                   opened, 0 the library is not initialised
``CVR_Authenticate()``             find and select a card: 1 selected, 2 no card,
                                   3 select failed, 4 reader not connected
``CVR_Read_Content(int active)``   read the card into the library: 1 read, 0 failed,
                                   4 reader not connected, 99 other failure
``Get*(char *buf, int *len)``      one field as text (GBK, or GB18030 in newer
                                   libraries: decoded as GB18030, its superset);
                                   ``*len`` in: the buffer's size, out: the length;
                                   1 ok
``GetBMPData(buf, int *len)``      the photo, decoded by the library itself (optional)
``CVR_CloseComm()``                close
=================================  =====================================================

These are the signatures and codes its integrators commonly publish; nothing here
was checked against a real library (docs/hardware.md). Text comes as display text:
sex 男/女 and the nation's name are mapped back to their GB/T 2261.1 and GB 3304
codes (``GetNationCode`` is used when the library has it). Only resident cards are
read through this flavour: a permit or a foreigner's card (``GetCertType`` J, I, Y)
is refused as :class:`UnknownCardType`.

What goes wrong at the library boundary is translated once, here, as for SDT: a
library that does not load or lacks a symbol, a port that does not open, a reader
that is gone → ``DeviceUnavailable`` with the reason; a failed read → the typed
``CardReadFailed``; a code outside the published ones → ``ProtocolError``. Never a
crash. Buffers are ours and larger than any field; the lengths the library reports
are checked against them.
"""

from __future__ import annotations

import ctypes
from typing import Any

from devices.idcard.codes import NATIONS
from devices.idcard.errors import CardReadFailed, UnknownCardType
from devices.idcard.sdk import VendorLibrary, VendorSdkReader
from devices.idcard.text import parse_date
from devices.identity import CardType, Identity
from kiosk.errors import DeviceUnavailable, ProtocolError

_INT_P = ctypes.POINTER(ctypes.c_int)
#: Required functions: name -> argument types (every one returns int).
CVR_FUNCTIONS: dict[str, list[Any]] = {
    "CVR_InitComm": [ctypes.c_int],
    "CVR_CloseComm": [],
    "CVR_Authenticate": [],
    "CVR_Read_Content": [ctypes.c_int],
    **{name: [ctypes.c_char_p, _INT_P] for name in (
        "GetPeopleName", "GetPeopleSex", "GetPeopleNation", "GetPeopleBirthday",
        "GetPeopleAddress", "GetPeopleIDCode", "GetDepartment", "GetStartDate",
        "GetEndDate")},
}
#: Functions some versions have: used when present.
CVR_OPTIONAL: dict[str, list[Any]] = {
    "GetNationCode": [ctypes.c_char_p, _INT_P],
    "GetCertType": [ctypes.c_char_p, _INT_P],
    "GetBMPData": [ctypes.c_char_p, _INT_P],
}
#: CVR_Read_Content's ``active``: what the library also writes to its temporary files
#: (text and photo); the kiosk reads the fields through the getters only.
READ_ACTIVE = 4
_TEXT_BUF = 256
_PHOTO_BUF = 64 * 1024
_SEXES = {"男": "1", "女": "2", "未知": "0", "未说明": "9"}
_NATION_CODES = {name.removesuffix("族"): code for code, name in NATIONS.items()}
_OTHER_TYPES = {"J": "港澳台居民居住证", "I": "外国人永久居留身份证", "Y": "外国人永久居留身份证"}


class CvrReader(VendorSdkReader):
    """An ID card reader driven through the 华视 SDK's ``CVR_*`` functions."""

    api = "CVR"

    # -- the five primitives --------------------------------------------------
    def _open_transport(self) -> None:
        if self._lib is None:
            self._lib = VendorLibrary(self.library_path, CVR_FUNCTIONS, flavour="a CVR_*",
                                      optional=CVR_OPTIONAL)
        self._close_transport()
        rc = self._lib.CVR_InitComm(self.port)
        if rc != 1:
            why = {2: "the port could not be opened", 0: "the library is not initialised"}
            raise DeviceUnavailable(f"CVR_InitComm({self.port}): "
                                    f"{why.get(rc, 'failed')} (code {rc})")
        self._open = True

    def _close_transport(self) -> None:
        if self._lib is not None and self._open:
            self._lib.CVR_CloseComm()
        self._open = False

    def _check_health(self) -> None:
        # The CVR API has no SAM status call: CVR_InitComm checked the reader, and
        # CVR_Authenticate says 4 when it is gone.
        self._library()

    def _card_in_field(self) -> bool:
        rc = self._library().CVR_Authenticate()
        if rc == 1:
            return True
        if rc in (2, 3):  # no card, or one that moved before it was selected
            return False
        if rc in (0, 4):
            raise DeviceUnavailable(f"CVR_Authenticate: reader not connected (code {rc})")
        raise ProtocolError(f"CVR_Authenticate returned {rc}")

    def _read_card(self) -> Identity:
        lib = self._library()
        rc = lib.CVR_Read_Content(READ_ACTIVE)
        if rc == 0:
            raise CardReadFailed("CVR_Read_Content: the card could not be read (code 0)")
        if rc == 4:
            raise DeviceUnavailable("CVR_Read_Content: reader not connected (code 4)")
        if rc != 1:
            raise ProtocolError(f"CVR_Read_Content returned {rc}")
        if "GetCertType" in lib.optional:
            kind = self._field("GetCertType", required=False).strip()
            if kind in _OTHER_TYPES:
                raise UnknownCardType(f"CVR flavour reads resident cards only, not "
                                      f"{_OTHER_TYPES[kind]} ({kind})")
        sex_text = self._field("GetPeopleSex")
        if sex_text not in _SEXES:
            raise ProtocolError("GetPeopleSex: not 男/女")
        nation = ""
        if "GetNationCode" in lib.optional:
            nation = self._field("GetNationCode", required=False)
        if not nation:
            nation = _NATION_CODES.get(self._field("GetPeopleNation").removesuffix("族"), "")
        end = self._field("GetEndDate")
        long_term = end == "长期"
        photo = self._photo() if "GetBMPData" in lib.optional else b""
        name = self._field("GetPeopleName")
        id_number = self._field("GetPeopleIDCode")
        if not name or not id_number:
            raise ProtocolError("CVR read: a card without a name or ID number")
        return Identity(card_type=CardType.RESIDENT, name=name, id_number=id_number.upper(),
                        sex=_SEXES[sex_text], nation=nation,
                        birth=parse_date(self._field("GetPeopleBirthday"), "CVR birth"),
                        address=self._field("GetPeopleAddress"),
                        authority=self._field("GetDepartment"),
                        valid_from=parse_date(self._field("GetStartDate"), "CVR valid from"),
                        valid_to=None if long_term else parse_date(end, "CVR valid to"),
                        long_term=long_term, photo_bmp=photo)

    # -- helpers ---------------------------------------------------------------
    def _field(self, getter: str, *, required: bool = True) -> str:
        buf = ctypes.create_string_buffer(_TEXT_BUF)
        size = ctypes.c_int(_TEXT_BUF)
        rc = getattr(self._library(), getter)(buf, ctypes.byref(size))
        if rc != 1:
            if not required:
                return ""
            raise ProtocolError(f"{getter} returned {rc}")
        if not 0 <= size.value < _TEXT_BUF:
            raise ProtocolError(f"{getter}: length {size.value} outside the buffer")
        return buf.raw[:size.value].split(b"\0", 1)[0].decode("gb18030", "replace").strip()

    def _photo(self) -> bytes:
        buf = ctypes.create_string_buffer(_PHOTO_BUF)
        size = ctypes.c_int(_PHOTO_BUF)
        if self._library().GetBMPData(buf, ctypes.byref(size)) != 1:
            return b""  # no photo: face verification follows the configured fallback
        if not 0 < size.value <= _PHOTO_BUF:
            raise ProtocolError(f"GetBMPData: length {size.value} outside the buffer")
        return buf.raw[:size.value]

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data["optional"] = sorted(self._lib.optional) if self._lib else []
        return data

