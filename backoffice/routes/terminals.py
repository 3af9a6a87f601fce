"""``POST /api/v1/terminals/heartbeat``: a terminal's device health and outbox counters."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backoffice import heartbeats
from backoffice.auth import SignedRequest
from backoffice.db import transaction
from backoffice.models import Terminal
from backoffice.routes.common import (
    SIGNED,
    errors,
    json_request_body,
    parse_json,
    sessions,
    settings,
)
from backoffice.schemas import Heartbeat, HeartbeatAck

router = APIRouter(tags=["terminals"])


@router.post("/api/v1/terminals/heartbeat", response_model=HeartbeatAck,
             responses=errors(*SIGNED), openapi_extra=json_request_body(Heartbeat))
def heartbeat(request: Request, signed: SignedRequest) -> HeartbeatAck:
    beat, _raw = parse_json(Heartbeat, signed.body, "invalid_request")
    now = settings(request).clock.now()
    with transaction(sessions(request)) as session:
        terminal = session.get(Terminal, signed.terminal_id)
        if terminal is not None:  # deleted between the signature check and now
            heartbeats.record(session, terminal, beat, now, settings(request).retention)
    return HeartbeatAck(server_time=now)
