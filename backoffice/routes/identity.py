"""``POST /api/v1/identity/code``: who an identity code (亮码) stands for.

The kiosk's code scanner read a code from a citizen's phone; the signed terminal asks
who it stands for, and the answer uses the code up (backoffice/identitycodes.py).
Rate-limited per terminal, and ``code_unknown`` answers more tightly: a terminal (or a
stolen terminal secret) cannot try codes at any useful speed. Every resolution is
written to the audit log with the masked ID number, never the code.
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request

from backoffice import identitycodes
from backoffice.auth import SignedRequest
from backoffice.errors import ApiError
from backoffice.ratelimit import Limit, enforce, hit, peek
from backoffice.routes import common
from backoffice.schemas import IdentityCodeQuery, IdentityResolved

router = APIRouter(tags=["identity"])

#: Per terminal: a kiosk serves a citizen every minute or two, a few tries each.
LOOKUPS = Limit("identity-code-lookups", 30, timedelta(minutes=10))
#: Per terminal: codes nobody issued. A citizen showing the wrong QR a few times is
#: normal; more is somebody trying codes, and every lookup then waits for the window.
UNKNOWN = Limit("identity-code-unknown", 10, timedelta(minutes=10))


@router.post("/api/v1/identity/code", response_model=IdentityResolved,
             responses=common.errors(*common.SIGNED, 404, 410, 429),
             openapi_extra=common.json_request_body(IdentityCodeQuery))
def resolve_code(request: Request, signed: SignedRequest) -> IdentityResolved:
    query, _raw = common.parse_json(IdentityCodeQuery, signed.body, "invalid_request")
    now = common.settings(request).clock.now()
    fast = request.app.state.fast_sessions
    wait = peek(fast, UNKNOWN, signed.terminal_id, now)
    if wait is not None:
        raise ApiError(429, "rate_limited", f"too many unknown identity codes from this "
                       f"terminal; retry in {wait:.0f} s", retry_after=wait)
    enforce(fast, LOOKUPS, signed.terminal_id, now, "identity code look-ups from this terminal")
    try:
        resolved = identitycodes.resolve(common.sessions(request), request.app.state.secret_box,
                                         query.code, signed.terminal_id, now)
    except ApiError as refused:
        if refused.code == "code_unknown":
            hit(fast, UNKNOWN, signed.terminal_id, now)
        raise
    return resolved
