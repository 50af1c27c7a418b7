"""The FastAPI application: routers, middleware and error answers that never leak a stack trace."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sync_server import __version__
from sync_server.api.routes import account, auth, devices, health, sync
from sync_server.context import ServerContext
from sync_server.core.background import AfterAnswer
from sync_server.core.concurrency import ConcurrencyLimit, request_slots
from sync_server.core.config import Settings
from sync_server.core.middleware import UNEXPECTED_ERROR, RequestContextMiddleware
from sync_server.core.observability import RATE_LIMITED, metrics_payload, request_id_var
from sync_server.core.ratelimit import RateLimitExceeded
from sync_server.errors import ServiceError

log = logging.getLogger(__name__)


def _route(request: Request) -> str:
    return getattr(request.scope.get("route"), "path", "unmatched")


def create_app(context: ServerContext) -> FastAPI:
    """The API over ``context`` (built by the caller, so tests and workers choose their own)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        context.dispose()

    app = FastAPI(title="OET Desktop account server", version=__version__, lifespan=lifespan,
                  description="Accounts, devices and two-factor sign-in for OET Desktop's optional sync.")
    app.state.context = context
    for router in (auth.router, account.router, devices.router, sync.router, health.router):
        app.include_router(router)
    # Inside the access log (its durations include the wait for a slot); see core/concurrency.py for why.
    app.add_middleware(ConcurrencyLimit, limit=request_slots(context.database.engine))
    app.add_middleware(RequestContextMiddleware, max_body_bytes=context.settings.max_request_bytes,
                       larger={"/v1/sync/changes": context.settings.max_sync_request_bytes})
    # Outermost: the work routes queue with ``later`` starts once the answer has gone and been logged.
    app.add_middleware(AfterAnswer, background=context.background)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, error: ServiceError) -> JSONResponse:
        if error.status == 422 and error.field is not None:
            body: dict[str, object] = {"detail": [{"loc": list(error.field), "msg": error.detail,
                                                   "type": "value_error"}]}
        else:
            body = {"detail": error.detail}
            if error.code is not None:
                body["code"] = error.code
        return JSONResponse(body, status_code=error.status, headers=error.headers)

    @app.exception_handler(RateLimitExceeded)
    async def rate_limited(request: Request, error: RateLimitExceeded) -> JSONResponse:
        RATE_LIMITED.labels(_route(request)).inc()
        return JSONResponse({"detail": f"Too many attempts; try again in {error.retry_after} seconds."},
                            status_code=429, headers={"Retry-After": str(error.retry_after)})

    @app.exception_handler(RequestValidationError)
    async def invalid_input(request: Request, error: RequestValidationError) -> JSONResponse:
        # Keep where and why, never echo the input back (it may hold a password).
        details = [{"loc": list(e.get("loc", ())), "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
                   for e in error.errors()]
        return JSONResponse({"detail": jsonable_encoder(details)}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if error.status_code == 400 and isinstance(error.__cause__, ValueError | RecursionError):
            # FastAPI's 400 for a body json.loads cannot read (not UTF-8, nested too deep): malformed JSON like
            # any other, so the same documented 422.
            return JSONResponse({"detail": [{"loc": ["body"], "msg": "The body is not valid JSON.",
                                             "type": "json_invalid"}]}, status_code=422)
        detail = error.detail if isinstance(error.detail, str) else "The request cannot be handled."
        return JSONResponse({"detail": detail}, status_code=error.status_code, headers=error.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"route": _route(request)})
        return JSONResponse({"detail": UNEXPECTED_ERROR,
                             "request_id": request_id_var.get()}, status_code=500)

    if context.settings.metrics_enabled:
        @app.get("/metrics", include_in_schema=False)
        def metrics() -> Response:
            payload, content_type = metrics_payload()
            return Response(payload, media_type=content_type)

    return app


def create_app_from_environment() -> FastAPI:
    """The factory uvicorn's workers call (``--factory``): settings from the environment."""
    from sync_server.core.observability import configure_logging

    settings = Settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    return create_app(ServerContext.from_settings(settings))
