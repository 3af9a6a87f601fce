"""``GET /api/v1/catalog``: the versioned catalog."""

from __future__ import annotations

from fastapi import APIRouter, Request

from backoffice.auth import SignedRequest
from backoffice.routes.common import SIGNED, errors
from backoffice.schemas import Catalog

router = APIRouter(tags=["catalog"])


@router.get("/api/v1/catalog", response_model=Catalog, responses=errors(*SIGNED))
def get_catalog(request: Request, signed: SignedRequest) -> Catalog:
    catalog: Catalog = request.app.state.catalog.get()
    return catalog
