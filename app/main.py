"""The application factory. Nothing is built at import time: the engine lives in the lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.cors import CORSMiddleware

from app import admin
from app.api.errors import JSON_MEDIA_TYPE, install_error_handlers
from app.api.middleware import BodySizeLimitMiddleware, RequestContextMiddleware
from app.api.response_cache import ResponseCache, ResponseCacheMiddleware
from app.api.router import api_router
from app.lifecycle import on_termination
from app.observability import install as install_observability
from app.observability.metrics import Metrics
from app.security.headers import SecurityHeadersMiddleware
from app.security.hosts import AllowedHostsMiddleware
from app.security.rate_limits import limit_writes
from app.services.context import AppContext
from app.web import errors as page_errors
from app.web.csrf import CsrfSeedMiddleware, CsrfTokens
from app.web.deps import SignInRequired
from app.web.pages import docs
from app.web.router import web_router
from app.web.templating import STATIC_DIR
from config import Settings, get_settings

DESCRIPTION = """The RealWorld Conduit API: accounts, profiles and follows, articles with tags,
favorites and comments, and a personal feed. Errors always use the envelope
`{"errors": {"body": [...], "<field>": [...]}}`."""


class JSONUTF8Response(JSONResponse):
    media_type = JSON_MEDIA_TYPE


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        context = AppContext.from_settings(settings)
        await context.start()
        app.state.context = context
        try:
            # On SIGTERM, end the event streams at once so the server's graceful drain can finish.
            with on_termination(context.events.close_streams):
                yield
        finally:
            await context.close()

    app = FastAPI(
        title="Conduit API",
        version="1.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JSONUTF8Response,
        docs_url=None,  # served by app.web.pages.docs from our own static files
        redoc_url=None,
        openapi_url="/openapi.json" if settings.docs_enabled else None,
        dependencies=[Depends(limit_writes)],  # every write route, API and pages: see rate_limits
    )
    app.state.settings = settings
    app.state.csrf_tokens = CsrfTokens(
        settings.jwt_secret.get_secret_value(), max_age_seconds=settings.jwt_lifetime_seconds
    )
    app.state.page_errors = page_errors.page_error
    install_error_handlers(app)
    app.add_exception_handler(SignInRequired, page_errors.sign_in_required)
    app.include_router(api_router)
    observers = install_observability(app, settings)  # /health/*, /metrics; access log, metrics
    if settings.docs_enabled:
        app.include_router(docs.router, include_in_schema=False)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    admin.install(app)  # /admin, for staff: see app/admin

    # Added innermost first: the request-context middleware wraps everything, so even a failure
    # in another middleware gets an id and the error envelope.
    app.add_middleware(CsrfSeedMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    if settings.response_cache_enabled:
        # Inside CORS and the headers middleware (they decorate a cached answer too), outside routing.
        _add_response_cache(app, settings)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID"],
        max_age=600,
    )
    app.add_middleware(AllowedHostsMiddleware, allowed_hosts=settings.allowed_hosts)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, observers=observers)
    return app


def _add_response_cache(app: FastAPI, settings: Settings) -> None:
    metrics: Metrics | None = getattr(app.state, "metrics", None)
    app.add_middleware(
        ResponseCacheMiddleware,
        cache=ResponseCache(
            max_entries=settings.response_cache_max_entries,
            ttl_seconds=settings.response_cache_ttl_seconds,
            max_body_bytes=settings.response_cache_max_body_bytes,
        ),
        generation=lambda: app.state.context.db.generation,
        observe=metrics.observe_response_cache if metrics else None,
    )
