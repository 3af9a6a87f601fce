"""The app factory: ``create_app(settings)`` builds one back office, all state on ``app.state``.

Every error leaves as ``{"error", "detail"}`` (API.md), including FastAPI's own
validation errors, Starlette's 404/405 and any unexpected exception (500
``internal``); a database that stays locked is a 503 (transient, the kiosk
retries), never a 500.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from pydantic.json_schema import models_json_schema
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from backoffice import db, fleet, lanes, staffops
from backoffice.allow import allowed_methods
from backoffice.auth import TerminalAuth
from backoffice.blobs import BlobStore
from backoffice.console import install as console
from backoffice.errors import ApiError
from backoffice.keystore import SecretBox, private_file, secure_data_dir
from backoffice.routes import (
    applicants,
    assist,
    bundles,
    cases,
    catalog,
    health,
    identity,
    materials,
    staff,
    terminals,
)
from backoffice.routes.common import describe_validation
from backoffice.schemas import (
    ApplicantQuery,
    AssistCall,
    CaseSubmission,
    CommandRequest,
    CommandResultIn,
    Heartbeat,
    IdentityCodeQuery,
    MaterialReceived,
    TransitionRequest,
    VerificationReport,
)
from backoffice.settings import Settings
from backoffice.staffauth import StaffAuth
from backoffice.timeouts import BodyDeadline

log = logging.getLogger("backoffice")

API_VERSION = "1"
#: Request bodies parsed by the routes themselves (after the signature check).
BODY_MODELS = (CaseSubmission, ApplicantQuery, VerificationReport, Heartbeat, AssistCall,
               TransitionRequest, MaterialReceived, IdentityCodeQuery, CommandRequest,
               CommandResultIn)
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed"}


def _error(status: int, code: str, detail: str, *, retry_after: float | None = None,
           **extra: Any) -> JSONResponse:
    if retry_after is None and status == 503:
        retry_after = 1
    headers = None if retry_after is None else {"Retry-After": str(math.ceil(retry_after))}
    return JSONResponse({"error": code, "detail": detail, **extra}, status_code=status,
                        headers=headers)


def _install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.detail, retry_after=exc.retry_after,
                      **exc.extra)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        locations = {str(err.get("loc", ("",))[0]) for err in exc.errors()}
        if locations == {"path"}:
            return _error(400, "bad_request", describe_validation(exc))
        code = "invalid_case" if request.url.path == "/api/v1/cases" else "invalid_request"
        return _error(422, code, describe_validation(exc))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        answer = _error(exc.status_code, code, str(exc.detail))
        answer.headers.update(exc.headers or {})  # 405's Allow (RFC 9110 §15.5.6)
        if exc.status_code == 405:  # Starlette's names only the first matching route's
            methods = allowed_methods(app.router.routes, dict(request.scope))
            if methods:
                answer.headers["Allow"] = ", ".join(methods)
        return answer

    @app.exception_handler(ClientDisconnect)
    async def client_gone(_request: Request, _exc: ClientDisconnect) -> JSONResponse:
        # The terminal hung up mid-body (its sender retries later); nobody reads
        # this answer, but it must not be logged as a server error.
        log.info("client disconnected before sending the whole body")
        return _error(400, "incomplete_body", "the connection closed before the body ended")

    @app.exception_handler(Exception)
    async def server_error(_request: Request, exc: Exception) -> JSONResponse:
        # A bug, answered in the contract's shape; only the type is logged (the
        # message may hold personal data) and the kiosk retries the request later.
        log.error("unhandled %s", type(exc).__name__)
        return _error(500, "internal", "internal server error")

    @app.exception_handler(OperationalError)
    async def database_busy(_request: Request, exc: OperationalError) -> JSONResponse:
        # Logged without parameters: they may hold personal data.
        log.warning("database unavailable: %s", type(exc.orig).__name__)
        return _error(503, "unavailable", "database temporarily unavailable; retry")


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is not None:
        return app.openapi_schema
    doc = get_openapi(title=app.title, version=app.version, description=app.description,
                      routes=app.routes, separate_input_output_schemas=False)
    _, defs = models_json_schema([(m, "validation") for m in BODY_MODELS],
                                 ref_template="#/components/schemas/{model}")
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    for name, schema in defs.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    doc["components"]["securitySchemes"] = {
        "terminalSignature": {
            "type": "apiKey", "in": "header", "name": "X-Signature",
            "description": "HMAC-SHA256 with X-Terminal-Id, X-Timestamp, X-Nonce: "
                           "see backoffice/API.md"},
        "staffToken": {"type": "http", "scheme": "bearer",
                       "description": "a staff account's token, ACCOUNT.SECRET (roles: "
                                      "staff, technician, admin)"},
    }
    for path, operations in doc["paths"].items():
        if path == "/api/v1/health":
            continue
        scheme = "staffToken" if path.startswith("/staff") else "terminalSignature"
        for operation in operations.values():
            operation["security"] = [{scheme: []}]
    app.openapi_schema = doc
    return doc


def create_app(settings: Settings) -> FastAPI:
    secure_data_dir(settings.data_dir)
    engine = db.make_engine(settings.effective_database_url)
    if db.is_sqlite(engine) and engine.url.database:
        private_file(Path(engine.url.database))
    db.create_schema(engine)
    secret_box = SecretBox.from_file(settings.master_key_path)
    staffops.seal_plain_secrets(db.make_sessionmaker(engine), secret_box)
    fleet.seed(db.make_sessionmaker(engine), settings.catalog_dir, settings.sites_dir,
               settings.clock.now(), follow=settings.follow_seed)
    # Rows that need not survive a power cut (nonces, see auth.record_nonce; the
    # material index, see routes/materials.py) are written on SQLite through a
    # second engine on the same file whose commits skip the fsync.
    fast_engine = (db.make_engine(settings.effective_database_url, durable=False)
                    if db.is_sqlite(engine) else engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.blobs.close()
        app.state.heartbeat_lane.close()
        engine.dispose()
        fast_engine.dispose()

    # No trailing-slash redirects: Starlette builds their Location from the Host
    # header, which would let a client make the server point anywhere.
    app = FastAPI(title="Reference back office (一窗受理)", version=API_VERSION,
                  description="Contract: backoffice/API.md", lifespan=lifespan,
                  separate_input_output_schemas=False, redirect_slashes=False,
                  docs_url="/docs" if settings.docs else None,
                  redoc_url="/redoc" if settings.docs else None,
                  openapi_url="/openapi.json" if settings.docs else None)
    app.state.settings = settings
    app.state.engine = engine
    app.state.fast_engine = fast_engine
    write_lock = threading.RLock() if db.is_sqlite(engine) else None
    app.state.sessions = db.make_sessionmaker(engine, write_lock)
    app.state.fast_sessions = db.make_sessionmaker(fast_engine, write_lock)
    app.state.secret_box = secret_box
    app.state.auth = TerminalAuth(app.state.sessions, app.state.fast_sessions,
                                  settings.max_skew_s, secret_box)
    app.state.staff_auth = StaffAuth(app.state.sessions, app.state.fast_sessions)
    app.state.blobs = BlobStore(settings.blob_dir)
    app.state.bundles = BlobStore(settings.bundle_dir)
    app.state.catalog = fleet.CatalogStore(app.state.sessions)
    app.state.settings_refs = fleet.SettingsRefs()
    app.state.heartbeat_lane = lanes.heartbeat_lane(
        settings.effective_database_url, engine, app.state.fast_sessions, app.state.sessions)
    _install_handlers(app)
    app.add_middleware(BodyDeadline, idle_s=settings.body_idle_timeout_s,
                       total_s=settings.body_timeout_s)
    for module in (health, catalog, materials, cases, bundles, applicants, identity, terminals,
                   assist,
                   staff):
        app.include_router(module.router)
    console.install(app, settings)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app
