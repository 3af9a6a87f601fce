"""pyscard as the PC/SC backend of :class:`devices.sscard.base.SsCardReader`.

Imported only when no ``list_readers``/``connect`` is injected, so a machine
without pyscard still runs the kiosk (the reader is UNAVAILABLE with a reason).
Every pyscard exception is translated here: no PC/SC service (pcscd not running,
``SCARD_E_NO_SERVICE``) -> DeviceUnavailable(``device.reason.sscard_no_service``);
no card -> NoCard; the card pulled during an exchange -> SsCardRemoved.
"""

from __future__ import annotations

import contextlib
from typing import Any

from smartcard.Exceptions import CardConnectionException, NoCardException, SmartcardException
from smartcard.pcsc.PCSCExceptions import BaseSCardException
from smartcard.scard import SCARD_S_SUCCESS, SCardStatus
from smartcard.System import readers as _readers

from devices.sscard.apdu import RApdu
from devices.sscard.errors import SsCardRemoved
from kiosk.errors import DeviceUnavailable, NoCard

REASON_NO_SERVICE = "device.reason.sscard_no_service"
#: SCardStatus dwState bits (pcsclite.h); pyscard exports the GetStatusChange ones only.
SCARD_ABSENT, SCARD_PRESENT = 0x0002, 0x0004
#: What pyscard raises when the PC/SC service is missing or refuses: its exception tree
#: is split in two (EstablishContextException is not a SmartcardException).
_SERVICE_ERRORS = (SmartcardException, BaseSCardException)
_REMOVED = (0x80100069, 0x80100066, 0x8010000C)  # removed card, unresponsive card, no smartcard


def list_readers() -> list[str]:
    try:
        return [str(r) for r in _readers()]
    except _SERVICE_ERRORS as err:
        raise DeviceUnavailable(f"PC/SC: {err}", i18n_key=REASON_NO_SERVICE) from None


def _gone(err: SmartcardException) -> bool:
    return getattr(err, "hresult", None) in _REMOVED or "removed" in str(err).lower()


class PyscardConnection:
    def __init__(self, reader_name: str) -> None:
        try:
            match = [r for r in _readers() if str(r) == reader_name]
        except _SERVICE_ERRORS as err:
            raise DeviceUnavailable(f"PC/SC: {err}", i18n_key=REASON_NO_SERVICE) from None
        if not match:
            raise DeviceUnavailable(f"reader {reader_name!r} vanished")
        self._conn: Any = match[0].createConnection()
        try:
            self._conn.connect()
        except NoCardException:
            self._release()
            raise NoCard(f"no card in {reader_name}") from None
        except CardConnectionException as err:
            self._release()
            if _gone(err):
                raise NoCard(f"{reader_name}: {err}") from None
            raise DeviceUnavailable(f"connect {reader_name}: {err}") from None

    def transmit(self, apdu: bytes) -> RApdu:
        try:
            data, sw1, sw2 = self._conn.transmit(list(apdu))
        except CardConnectionException as err:
            if _gone(err):
                raise SsCardRemoved(str(err)) from None
            raise DeviceUnavailable(f"transmit: {err}") from None
        return RApdu(bytes(data), sw1, sw2)

    def atr(self) -> bytes:
        return bytes(self._conn.getATR())

    def present(self) -> bool:
        pcsc = getattr(self._conn, "component", self._conn)
        if getattr(pcsc, "hcard", None) is None:
            return False
        hresult, _reader, state, _protocol, _atr = SCardStatus(pcsc.hcard)
        return bool(hresult == SCARD_S_SUCCESS and state & SCARD_PRESENT
                    and not state & SCARD_ABSENT)

    def close(self) -> None:
        with contextlib.suppress(SmartcardException):
            self._conn.disconnect()
        self._release()

    def _release(self) -> None:
        release = getattr(self._conn, "release", None)
        if release is not None:
            with contextlib.suppress(SmartcardException):
                release()


def connect(reader_name: str) -> PyscardConnection:
    return PyscardConnection(reader_name)
