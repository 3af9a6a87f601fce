"""二代证 readers that come with a vendor Linux SDK: the ``SDT_*`` C API through ctypes.

Many readers in halls are sold with a shared library instead of a documented
line protocol. The 公安部-style API (``libsdtapi.so`` and its vendor variants)
is the same everywhere: open a port (1..16 serial, 1001..1016 USB), find and
select the card, read the 256-byte text and the 1024-byte photo, optionally the
appended address. Every function returns the SAM's SW3 status byte, so the
same typed errors as the serial driver apply (``devices.idcard.protocol``).

This driver supplies the five primitives of :class:`IdCardReader` over those
calls; the base class owns polling, once-per-card reads and recovery. What can
go wrong at the library boundary is translated here, once:

* library missing or not loadable, a symbol missing (a wrong library or API
  flavour) → ``DeviceUnavailable`` naming the path and the symbol;
* port not opened, no answer → ``DeviceUnavailable`` / ``DeviceTimeout``;
* any other return code → the typed error of that SW3 (``CardNotFound``,
  ``SamNotAuthorised``…) or ``UnknownStatus``; never a crash.

Buffers are sized by us and far larger than the API's documented maxima (text
256, photo 1024, appended addresses 4 x 70), and lengths the library reports are
checked against them before any byte is used.
"""

from __future__ import annotations

import ctypes
from dataclasses import replace
from typing import Any

from devices.idcard.base import IdCardReader
from devices.idcard.errors import NoContent, SamRejectedFrame
from devices.idcard.protocol import Command, Sw3, parse_sam_id, response_for, split_addresses
from devices.idcard.text import decode_address, decode_text
from devices.identity import CardType, Identity
from kiosk.errors import DeviceTimeout, DeviceUnavailable, NoCard, ProtocolError

#: Codes the SDT API adds to the SAM's own SW3 values.
RC_PORT_OPEN_FAILED = 0x01
RC_PORT_NOT_OPEN = 0x02
RC_NO_ANSWER = 0x05
_PORT_ERRORS = {RC_PORT_OPEN_FAILED: "port could not be opened",
                RC_PORT_NOT_OPEN: "port not open"}

_U8P = ctypes.POINTER(ctypes.c_ubyte)
_U32P = ctypes.POINTER(ctypes.c_uint)
#: name -> argument types; every function returns int.
SDT_FUNCTIONS: dict[str, list[Any]] = {
    "SDT_OpenPort": [ctypes.c_int],
    "SDT_ClosePort": [ctypes.c_int],
    "SDT_GetSAMStatus": [ctypes.c_int, ctypes.c_int],
    "SDT_GetSAMID": [ctypes.c_int, _U8P, ctypes.c_int],
    "SDT_StartFindIDCard": [ctypes.c_int, _U8P, ctypes.c_int],
    "SDT_SelectIDCard": [ctypes.c_int, _U8P, ctypes.c_int],
    "SDT_ReadBaseMsg": [ctypes.c_int, _U8P, _U32P, _U8P, _U32P, ctypes.c_int],
    "SDT_ReadNewAppMsg": [ctypes.c_int, _U8P, _U32P, ctypes.c_int],
}
TEXT_MAX, PHOTO_MAX, APPENDED_MAX = 256, 1024, 4 * 70
_BUF = 4096


class VendorLibrary:
    """A vendor SDK's shared library with every function declared (each returns int);
    the ``optional`` ones are declared when present and named in :attr:`optional`."""

    def __init__(self, path: str, functions: dict[str, list[Any]], *, flavour: str,
                 optional: dict[str, list[Any]] | None = None) -> None:
        try:
            lib = ctypes.CDLL(path)
        except OSError as exc:
            raise DeviceUnavailable(f"SDK library {path}: cannot load ({exc})") from None
        for name, argtypes in functions.items():
            try:
                fn = getattr(lib, name)
            except AttributeError:
                raise DeviceUnavailable(f"SDK library {path}: no symbol {name} "
                                        f"(not {flavour} library, or another API flavour)"
                                        ) from None
            fn.argtypes, fn.restype = argtypes, ctypes.c_int
        self.optional: set[str] = set()
        for name, argtypes in (optional or {}).items():
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes, fn.restype = argtypes, ctypes.c_int
                self.optional.add(name)
        self.path = path
        self.lib = lib

    def __getattr__(self, name: str) -> Any:
        return getattr(self.lib, name)


def _check(rc: int, command: Command) -> None:
    """Raise the typed error of a return code that is not success."""
    if rc in (Sw3.OK, Sw3.FIND_OK):
        return
    if rc in _PORT_ERRORS:
        raise DeviceUnavailable(f"{command.name}: {_PORT_ERRORS[rc]} (SDK code {rc:#04x})")
    if rc == RC_NO_ANSWER:
        raise DeviceTimeout(f"{command.name}: no answer from the reader (SDK code 0x05)")
    response_for(rc & 0xFF).check(command)  # the SW3's own typed error
    raise ProtocolError(f"{command.name}: SDK returned {rc:#x}")  # pragma: no cover


class VendorSdkReader(IdCardReader):
    """An ID card reader driven through a vendor SDK's shared library on ``port``; the
    flavour (``api``) supplies the primitives over its functions."""

    api = ""

    def __init__(self, name: str = "idcard", *, library: str, port: int = 1001,
                 **base: Any) -> None:
        super().__init__(name, **base)
        self.library_path = library
        self.port = port
        self._lib: VendorLibrary | None = None
        self._open = False

    def _library(self) -> VendorLibrary:
        """The library, while the port is open."""
        if self._lib is None or not self._open:
            raise DeviceUnavailable("SDK port not open")
        return self._lib

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"transport": "sdk", "api": self.api, "library": self.library_path,
                     "port": self.port})
        return data


class SdtReader(VendorSdkReader):
    """An ID card reader driven through a vendor SDK's ``SDT_*`` functions."""

    api = "SDT"

    def __init__(self, name: str = "idcard", *, library: str, port: int = 1001,
                 appended_address: bool = True, **base: Any) -> None:
        super().__init__(name, library=library, port=port, **base)
        self.appended_address = appended_address
        self.sam_id = ""
        #: Set when the SAM refuses the appended-address read (older modules).
        self.appended_unsupported = False

    # -- the five primitives --------------------------------------------------
    def _open_transport(self) -> None:
        if self._lib is None:
            self._lib = VendorLibrary(self.library_path, SDT_FUNCTIONS, flavour="an SDT_*")
        self._close_transport()
        _check(self._lib.SDT_OpenPort(self.port), Command.SAM_STATUS)
        self._open = True
        self._check_health()
        raw = (ctypes.c_ubyte * 16)()
        try:
            _check(self._lib.SDT_GetSAMID(self.port, raw, 1), Command.SAM_ID)
            self.sam_id = parse_sam_id(bytes(raw))
        except (ProtocolError, SamRejectedFrame):
            self.sam_id = ""  # technicians' information only; the SAM answers status

    def _close_transport(self) -> None:
        if self._lib is not None and self._open:
            self._lib.SDT_ClosePort(self.port)
        self._open = False

    def _check_health(self) -> None:
        _check(self._library().SDT_GetSAMStatus(self.port, 1), Command.SAM_STATUS)

    def _card_in_field(self) -> bool:
        info = (ctypes.c_ubyte * 8)()
        try:
            _check(self._library().SDT_StartFindIDCard(self.port, info, 1), Command.FIND_CARD)
        except NoCard:
            return False
        return True

    def _read_card(self) -> Identity:
        lib = self._library()
        msg = (ctypes.c_ubyte * 8)()
        _check(lib.SDT_SelectIDCard(self.port, msg, 1), Command.SELECT_CARD)
        text, photo = (ctypes.c_ubyte * _BUF)(), (ctypes.c_ubyte * _BUF)()
        text_len, photo_len = ctypes.c_uint(0), ctypes.c_uint(0)
        _check(lib.SDT_ReadBaseMsg(self.port, text, ctypes.byref(text_len), photo,
                                   ctypes.byref(photo_len), 1), Command.READ_TEXT_PHOTO)
        if text_len.value != TEXT_MAX or photo_len.value > PHOTO_MAX:
            raise ProtocolError(f"SDK read: text {text_len.value} B, photo {photo_len.value} B")
        identity = decode_text(bytes(text[:TEXT_MAX]), photo_wlt=bytes(photo[:photo_len.value]))
        if self.appended_address and not self.appended_unsupported \
                and identity.card_type is CardType.RESIDENT:
            identity = replace(identity, appended_addresses=self._appended())
        return identity

    def _appended(self) -> tuple[str, ...]:
        buf, n = (ctypes.c_ubyte * _BUF)(), ctypes.c_uint(0)
        try:
            _check(self._library().SDT_ReadNewAppMsg(self.port, buf, ctypes.byref(n), 1),
                   Command.READ_APPENDED_ADDRESS)
        except NoContent:
            return ()
        except SamRejectedFrame:
            # An older SAM that does not know 30 03: the identity stands without it.
            self.appended_unsupported = True
            return ()
        if n.value > APPENDED_MAX:
            raise ProtocolError(f"SDK appended address of {n.value} B")
        records = split_addresses(bytes(buf[:n.value]))
        return tuple(a for a in map(decode_address, records) if a)

    def diagnostics(self) -> dict[str, Any]:
        data = super().diagnostics()
        data.update({"sam_id": self.sam_id,
                     "appended_address_supported": not self.appended_unsupported})
        return data
