"""``GET /api/v1/health``: unsigned reachability and the server's clock."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backoffice.routes.common import settings
from backoffice.schemas import Health

router = APIRouter()


@router.get("/api/v1/health", response_model=Health, tags=["health"])
def health(request: Request) -> Health:
    return Health(status="ok", time=settings(request).clock.now())
