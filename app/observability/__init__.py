"""Operating the service: structured logs, health checks and Prometheus metrics.

:func:`install` adds the ``/health/*`` and ``/metrics`` routes to an app and returns the observers the
request-context middleware calls once per finished request (the access log, the request metrics).
"""

from __future__ import annotations

from fastapi import FastAPI

from app.observability.exchange import Observer, RouteTemplates
from app.observability.logs import AccessLog
from app.observability.metrics import Metrics
from app.observability.routes import health_router, metrics_router
from config import Settings

__all__ = ["Observer", "install"]


def install(app: FastAPI, settings: Settings) -> tuple[Observer, ...]:
    """Routes for health and (when enabled) metrics; returns the per-request observers."""
    templates = RouteTemplates(app)
    app.include_router(health_router)
    if not settings.metrics_enabled:
        return (AccessLog(templates),)
    metrics = Metrics(templates, lambda: getattr(app.state, "context", None))
    app.state.metrics = metrics
    app.include_router(metrics_router)
    return (AccessLog(templates), metrics.observe)
