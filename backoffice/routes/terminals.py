"""``POST /api/v1/terminals/heartbeat``: a terminal's device health and outbox counters."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import update

from backoffice.auth import SignedRequest
from backoffice.db import relax_commit, transaction
from backoffice.models import Terminal
from backoffice.routes.common import (
    SIGNED,
    errors,
    json_request_body,
    parse_json,
    settings,
)
from backoffice.schemas import Heartbeat, HeartbeatAck

router = APIRouter(tags=["terminals"])


@router.post("/api/v1/terminals/heartbeat", response_model=HeartbeatAck,
             responses=errors(*SIGNED), openapi_extra=json_request_body(Heartbeat))
def heartbeat(request: Request, signed: SignedRequest) -> HeartbeatAck:
    beat, _raw = parse_json(Heartbeat, signed.body, "invalid_request")
    now = settings(request).clock.now()
    # One statement (a terminal deleted since the signature check matches no row), and
    # a commit that may be lost to a power cut: the next beat says the same again.
    with transaction(request.app.state.fast_sessions) as session:
        relax_commit(session)
        session.execute(update(Terminal).where(Terminal.id == signed.terminal_id)
                        .values(last_seen_at=now, health=beat.model_dump(mode="json")))
    return HeartbeatAck(server_time=now)
