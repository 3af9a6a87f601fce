"""``GET /api/v1/catalog`` and ``GET /api/v1/sites/{site_id}/settings``: what terminals run
on, each with an ``ETag`` (version and content hash) and ``If-None-Match`` → 304."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from backoffice import fleet
from backoffice.auth import SignedRequest
from backoffice.db import transaction
from backoffice.errors import not_found
from backoffice.routes.common import SIGNED, errors, sessions
from backoffice.schemas import Catalog, SiteSettings

router = APIRouter(tags=["catalog"])

SiteId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,64}$")]
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match tag is the current one"}}


def _matches(request: Request, tag: str) -> bool:
    """RFC 9110 §13.1.2: a list of tags, or "*"; weak tags compare by their opaque part."""
    header = request.headers.get("if-none-match", "")
    if not header:
        return False
    wanted = [t.strip().removeprefix("W/") for t in header.split(",")]
    return "*" in wanted or tag in wanted


def _answer(request: Request, body: dict[str, Any], tag: str) -> Response:
    headers = {"ETag": tag, "Cache-Control": "no-cache"}
    if _matches(request, tag):
        return Response(status_code=304, headers=headers)
    return JSONResponse(body, headers=headers)


@router.get("/api/v1/catalog", response_model=Catalog,
            responses={**_NOT_MODIFIED, **errors(*SIGNED)})
async def get_catalog(request: Request, signed: SignedRequest) -> Response:
    catalog, tag = await run_in_threadpool(request.app.state.catalog.current)
    return _answer(request, catalog.model_dump(mode="json"), tag)


def _settings(request: Request, site_id: str) -> tuple[SiteSettings, str] | None:
    with transaction(sessions(request), write=False) as session:
        return fleet.site_settings(session, site_id)


@router.get("/api/v1/sites/{site_id}/settings", response_model=SiteSettings,
            responses={**_NOT_MODIFIED, **errors(*SIGNED, 404)})
async def get_site_settings(request: Request, site_id: SiteId,
                            signed: SignedRequest) -> Response:
    found = await run_in_threadpool(_settings, request, site_id)
    if found is None:
        raise not_found(f"settings of site {site_id}")
    settings, tag = found
    return _answer(request, settings.model_dump(mode="json"), tag)
