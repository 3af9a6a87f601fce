"""Heartbeats have a lane of their own (backoffice/lanes.py): a terminal's beat is answered
while case uploads hold every shared worker thread, every connection of the app's pool
and a request body half sent. Each scenario is driven step by step (events, not timers);
the only bound is a generous guard against a hang, which is what the old route did."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack
from typing import Any

import anyio
import anyio.to_thread
import httpx
import pytest
from sqlalchemy import select, text

from backoffice import staffops
from backoffice.app import create_app
from backoffice.commands import enqueue_command
from backoffice.db import transaction
from backoffice.models import Case, TerminalCommand
from backoffice.settings import Settings
from kiosk.clock import FakeClock
from kiosk.submission import signing
from tests.backoffice.testing import BOTH_DATABASES, TERMINAL_ID, TerminalClient, make_case

HEARTBEAT = "/api/v1/terminals/heartbeat"
BUNDLE = "/api/v1/case-bundles"
PAGE = b"\xff\xd8\xff\xe0" + secrets.token_bytes(64 * 1024)
#: Only against a hang (the old route waited for ever); nothing asserts a duration.
HANG_GUARD_S = 60
BEAT = {"time": "2026-11-22T09:00:00+08:00",
        "devices": {"printer": {"state": "READY", "media": "PRESENT"}}}


@pytest.fixture
def app(settings: Settings, secret: bytes) -> Iterator[Any]:
    app = create_app(settings)
    staffops.register_terminal(app.state.sessions, TERMINAL_ID, secret.hex(),
                               settings.clock.now(), app.state.secret_box)
    try:
        yield app
    finally:
        app.state.heartbeat_lane.close()
        app.state.engine.dispose()
        app.state.fast_engine.dispose()


def _beat_request(signer: TerminalClient) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(BEAT).encode()
    return body, {**signer.headers("POST", HEARTBEAT, body), "Content-Type": "application/json"}


def _bundle_request(signer: TerminalClient) -> tuple[list[bytes], dict[str, str]]:
    case = json.dumps(make_case(pages=[PAGE]), ensure_ascii=False).encode()
    parts = [case, PAGE]
    manifest = signing.bundle_manifest(parts)
    headers = signer.headers("POST", BUNDLE, b"", digest=signing.bundle_digest(manifest))
    headers.update({"Content-Type": signing.BUNDLE_CONTENT_TYPE,
                    "Idempotency-Key": make_case()["kiosk_ref"], signing.BUNDLE_HEADER: manifest,
                    "Content-Length": str(sum(len(p) for p in parts))})
    return parts, headers


async def _until(condition: Any) -> None:
    while not condition():
        await anyio.sleep(0.005)


def _hold_app_connections(app: Any, stack: ExitStack) -> int:
    """Check out every connection the app's own pool can give (PostgreSQL: 10 + 30)."""
    pool = app.state.engine.pool
    size = int(pool.size()) + int(getattr(pool, "_max_overflow", 0))
    for _ in range(size):
        stack.enter_context(app.state.engine.connect())
    return size


@BOTH_DATABASES
def test_a_heartbeat_is_answered_while_uploads_hold_every_shared_thread(
        app: Any, secret: bytes, clock: FakeClock, database_url: str) -> None:
    signer = TerminalClient(None, TERMINAL_ID, secret, clock)
    beat_body, beat_headers = _beat_request(signer)
    parts, bundle_headers = _bundle_request(signer)
    results: dict[str, httpx.Response] = {}

    async def scenario() -> None:
        mid_body, rest = anyio.Event(), anyio.Event()

        async def bundle_body() -> AsyncIterator[bytes]:
            yield parts[0] + parts[1][:len(parts[1]) // 2]
            mid_body.set()
            await rest.wait()
            yield parts[1][len(parts[1]) // 2:]

        release = threading.Event()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bo") as client, \
                anyio.create_task_group() as tasks:

            async def upload() -> None:
                results["bundle"] = await client.post(BUNDLE, content=bundle_body(),
                                                      headers=bundle_headers)

            async def hold_a_thread() -> None:
                await anyio.to_thread.run_sync(release.wait)

            tasks.start_soon(upload)
            try:
                await mid_body.wait()  # the upload is authenticated and half read
                # Every shared worker thread held (intakes waiting on the case counter)...
                shared = anyio.to_thread.current_default_thread_limiter()
                for _ in range(int(shared.total_tokens)):
                    tasks.start_soon(hold_a_thread)
                await _until(lambda: shared.available_tokens == 0)
                with ExitStack() as held:
                    if database_url:  # ... and on PostgreSQL every connection of its pool
                        assert _hold_app_connections(app, held) >= 40
                    with anyio.fail_after(HANG_GUARD_S):
                        results["beat"] = await client.post(HEARTBEAT, content=beat_body,
                                                            headers=beat_headers)
            finally:
                release.set()
                rest.set()

    anyio.run(scenario)
    beat = results["beat"]
    assert beat.status_code == 200, beat.text
    assert beat.json()["catalog"]["version"] == "2026.11-sample.1"
    with transaction(app.state.sessions, write=False) as session:
        row = session.execute(text("SELECT health FROM terminals WHERE id = :id"),
                              {"id": TERMINAL_ID}).scalar_one()
        stored = row if isinstance(row, dict) else json.loads(row)
        assert stored["devices"]["printer"]["state"] == "READY"
        # The upload, released, was stored whole.
        assert results["bundle"].status_code == 201, results["bundle"].text
        assert session.scalars(select(Case.kiosk_ref)).all() == [make_case()["kiosk_ref"]]


@BOTH_DATABASES
def test_a_command_handed_out_by_the_lane_is_recorded_durably(
        app: Any, secret: bytes, clock: FakeClock, database_url: str) -> None:
    """The beat itself may be lost to a power cut; a delivery may not."""
    with transaction(app.state.sessions) as session:
        command = enqueue_command(session, TERMINAL_ID, "print_test_page", {}, "staff:wang",
                                  now=clock.now())
    signer = TerminalClient(None, TERMINAL_ID, secret, clock)
    body, headers = _beat_request(signer)

    async def beat() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bo") as client:
            return await client.post(HEARTBEAT, content=body, headers=headers)

    reply = anyio.run(beat)
    assert reply.status_code == 200, reply.text
    assert [c["id"] for c in reply.json()["commands"]] == [command.id]
    with transaction(app.state.sessions, write=False) as session:
        row = session.get(TerminalCommand, command.id)
        assert row is not None and row.status == "delivered" and row.deliveries == 1
    lane = app.state.heartbeat_lane
    if database_url:
        # The lane's connections commit without waiting for the disk, except in the
        # transaction that hands out commands.
        with transaction(lane.fast) as session:
            assert session.scalar(text("SHOW synchronous_commit")) == "off"
        with lane.durable_transaction() as session:
            assert session.scalar(text("SHOW synchronous_commit")) == "on"

