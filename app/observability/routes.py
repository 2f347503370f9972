"""``/health/live``, ``/health/ready`` and ``/metrics``: for load balancers, orchestrators and scrapers,
outside ``/api`` and outside the OpenAPI schema (they are not part of the product's contract)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from app.api.errors import JSON_MEDIA_TYPE
from app.observability.health import check_readiness
from app.observability.metrics import Metrics
from app.services.context import AppContext

NO_STORE = {"Cache-Control": "no-store"}

health_router = APIRouter(prefix="/health", include_in_schema=False)
metrics_router = APIRouter(include_in_schema=False)


@health_router.get("/live", name="health:live")
async def live() -> JSONResponse:
    """The process is up and its event loop answers; touches nothing else."""
    return JSONResponse({"status": "ok"}, headers=NO_STORE, media_type=JSON_MEDIA_TYPE)


@health_router.get("/ready", name="health:ready")
async def ready(request: Request) -> JSONResponse:
    """200 when this process can serve requests, else 503 naming the check that failed."""
    context: AppContext = request.app.state.context
    readiness = await check_readiness(context.db.engine)
    body: dict[str, Any] = {
        "status": "ok" if readiness.ready else "unavailable",
        "checks": {"database": readiness.database, "migrations": readiness.migrations},
    }
    return JSONResponse(
        body, status_code=200 if readiness.ready else 503, headers=NO_STORE, media_type=JSON_MEDIA_TYPE
    )


@metrics_router.get("/metrics", name="metrics")
async def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    return Response(registry.exposition(), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
