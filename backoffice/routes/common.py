"""Helpers shared by the route modules: documented error answers, JSON bodies."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session, sessionmaker

from backoffice.errors import ApiError
from backoffice.schemas import ErrorBody
from backoffice.settings import Settings

M = TypeVar("M", bound=BaseModel)

_DESCRIPTIONS = {
    400: "Bad request (hash_mismatch, bad_request)",
    401: "Not authenticated (bad_signature, clock_skew, replayed_nonce, bad_staff_token)",
    403: "Refused (not_verified, token_required, forbidden: another staff role)",
    404: "Not found (not_found, code_unknown)",
    410: "Gone (code_expired, code_used)",
    408: "The body did not arrive in time (body_timeout)",
    409: "Conflict (idempotency_conflict, bad_transition)",
    413: "Too large",
    415: "Unsupported content type",
    429: "Too many requests (rate_limited); see Retry-After",
    422: "Invalid (invalid_case, missing_materials, invalid_request)",
    503: "Temporarily unavailable; retry",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for the given error statuses, all with the ErrorBody shape."""
    return {code: {"model": ErrorBody, "description": _DESCRIPTIONS[code]} for code in codes}


#: What every terminal-signed route can answer besides its own successes.
SIGNED = (400, 401, 408, 413, 422, 503)
STAFF = (400, 401, 403, 404, 422, 429, 503)


def json_request_body(model: type[BaseModel]) -> dict[str, Any]:
    """``openapi_extra`` for a route that parses its JSON body itself (after auth)."""
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}}}


def describe_validation(exc: ValidationError | Any) -> str:
    """Where and what, never the offending value (it may be an ID number)."""
    parts = []
    for err in exc.errors()[:5]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p != "body") or "body"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    more = len(exc.errors()) - 5
    return "; ".join(parts) + (f"; and {more} more" if more > 0 else "")


def parse_json(model: type[M], body: bytes, code: str) -> tuple[M, Any]:
    """Parse and validate a JSON body; returns the model and the raw JSON value."""
    try:
        raw = json.loads(body)
        # JSON may spell a lone surrogate ("\ud800"): a str, but not text. Nothing
        # downstream (hashing, the database) can store it, so it is refused here.
        json.dumps(raw, ensure_ascii=False).encode("utf-8")
    except (ValueError, RecursionError):
        raise ApiError(422, code, "body is not valid UTF-8 JSON") from None
    try:
        # Strict: a value only in the type the schema gives it (no "3" for 3, no false
        # for 0, no number for a date), as a client that reads the schema expects.
        return model.model_validate_json(body, strict=True), raw
    except ValidationError as exc:
        raise ApiError(422, code, describe_validation(exc)) from None
    except RecursionError:
        raise ApiError(422, code, "body is nested too deeply") from None


def sessions(request: Request) -> sessionmaker[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    return factory


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value
