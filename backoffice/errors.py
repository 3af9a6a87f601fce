"""The back office's one error: an HTTP answer ``{"error", "detail"}`` (API.md).

This is the server side of the contract, not part of the kiosk's tree in
``kiosk/errors.py``: the kiosk's client translates these answers into
``TransientError`` / ``PermanentError`` / ``AuthError`` at its boundary.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    def __init__(self, status: int, code: str, detail: str, *,
                 retry_after: float | None = None, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {detail}")
        self.status = status
        self.code = code
        self.detail = detail
        #: Seconds for a ``Retry-After`` header (429, 503).
        self.retry_after = retry_after
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {"error": self.code, "detail": self.detail, **self.extra}


def not_found(what: str) -> ApiError:
    return ApiError(404, "not_found", f"{what} not found")
