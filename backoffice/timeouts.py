"""Bounds on how long a client may take to send a request.

A connection that trickles its headers, or stalls halfway through a body,
would otherwise hold a socket (and, for an upload, a temporary file) for as
long as it likes. Two bounds:

* headers: :func:`protocol_with_header_timeout` gives uvicorn an HTTP protocol
  (httptools, its C parser; h11 on request) that closes a connection whose
  request line and headers are not complete ``header_timeout_s`` after the
  connection opened or the previous answer ended (uvicorn's own keep-alive timer
  is reset by every byte, so a byte a second would keep it alive for ever);
* bodies: :class:`BodyDeadline`, an ASGI middleware, answers 408
  ``body_timeout`` when no part of the body arrives for ``idle_s`` or the
  whole body takes longer than ``total_s``. The route's own error path then
  runs (a staged upload is removed).
"""

from __future__ import annotations

import asyncio
import math
from typing import Any

import anyio
import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from backoffice.errors import ApiError

#: Defaults (Settings can override): a kiosk on a slow township line sends
#: 10 MiB in well under two minutes; no healthy client pauses 15 s mid-body.
HEADER_TIMEOUT_S = 10.0
BODY_IDLE_TIMEOUT_S = 15.0
BODY_TIMEOUT_S = 120.0


class _HeaderTimeoutProtocol(H11Protocol):
    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._answered = 0
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        self._answered += 1
        super().on_response_complete()
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self.loop.call_later(self.header_timeout_s, self._headers_overdue, self._answered)

    def _headers_overdue(self, answered: int) -> None:
        # Still waiting for the same request's headers on this connection: close. A
        # request that arrived in time has moved h11 past IDLE (or has been answered).
        waiting = self.conn.their_state is h11.IDLE and self._answered == answered
        if waiting and (self.cycle is None or self.cycle.response_complete) \
                and not self.transport.is_closing():
            self.transport.close()


class HeaderTimeoutH11Protocol(_HeaderTimeoutProtocol):
    """With the default bound; importable by name, so worker processes can load it."""


class _HeaderTimeoutHttpTools(HttpToolsProtocol):
    """The same bound on httptools: a request's headers are complete when the parser
    says so (``on_headers_complete``); the timer checks that one more arrived since."""

    header_timeout_s = HEADER_TIMEOUT_S

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._headers_done = 0
        super().connection_made(transport)
        self._arm_header_timer()

    def on_headers_complete(self) -> None:
        self._headers_done += 1
        super().on_headers_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_header_timer()

    def _arm_header_timer(self) -> None:
        self.loop.call_later(self.header_timeout_s, self._headers_overdue, self._headers_done)

    def _headers_overdue(self, done: int) -> None:
        waiting = self._headers_done == done
        if waiting and (self.cycle is None or self.cycle.response_complete) \
                and not self.transport.is_closing():
            self.transport.close()


class HeaderTimeoutHttpToolsProtocol(_HeaderTimeoutHttpTools):
    """With the default bound; importable by name, so worker processes can load it."""


def protocol_with_header_timeout(seconds: float, *, parser: str = "httptools"
                                 ) -> type[HttpToolsProtocol] | type[H11Protocol]:
    """A protocol class for ``uvicorn.Config(http=...)``: httptools (C, the default;
    a large body costs far less CPU) or h11 (pure Python)."""
    if parser == "h11":
        if seconds == HEADER_TIMEOUT_S:
            return HeaderTimeoutH11Protocol
        return type("HeaderTimeoutH11Protocol", (_HeaderTimeoutProtocol,),
                    {"header_timeout_s": seconds})
    if seconds == HEADER_TIMEOUT_S:
        return HeaderTimeoutHttpToolsProtocol
    return type("HeaderTimeoutHttpToolsProtocol", (_HeaderTimeoutHttpTools,),
                {"header_timeout_s": seconds})


class BodyDeadline:
    """ASGI middleware: every ``receive`` of a request body is bounded in time."""

    def __init__(self, app: Any, *, idle_s: float = BODY_IDLE_TIMEOUT_S,
                 total_s: float = BODY_TIMEOUT_S) -> None:
        self.app = app
        self.idle_s = idle_s
        self.total_s = total_s

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = anyio.current_time() + self.total_s
        body_done = False

        async def bounded() -> Any:
            nonlocal body_done
            if body_done:  # e.g. waiting for a disconnect: not the client's body
                return await receive()
            left = min(self.idle_s, deadline - anyio.current_time())
            try:
                with anyio.fail_after(max(0.0, left)):
                    message = await receive()
            except TimeoutError:
                raise ApiError(408, "body_timeout",
                               "the request body did not arrive in time "
                               f"(≤{math.ceil(self.idle_s)} s idle, "
                               f"≤{math.ceil(self.total_s)} s in all)") from None
            body_done = message.get("type") != "http.request" or \
                not message.get("more_body", False)
            return message

        await self.app(scope, bounded, send)
