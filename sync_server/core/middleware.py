"""ASGI middleware: a request id on every request and response, one JSON log line and metrics per request,
and a cap on the request body size (413 before the body is read)."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sync_server.core.observability import ERRORS, LATENCY, REQUESTS, request_id_var

log = logging.getLogger("sync_server.access")
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
UNEXPECTED_ERROR = "The server could not complete this request; it has been logged."


class _BodyTooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so FastAPI's body parsing passes it on as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than the server accepts ({limit} bytes).")


def _json_response(status: int, body: dict[str, Any], request_id: str) -> tuple[Message, Message]:
    payload = json.dumps(body).encode()
    start: Message = {"type": "http.response.start", "status": status,
                      "headers": [(b"content-type", b"application/json"),
                                  (b"content-length", str(len(payload)).encode()),
                                  (b"x-request-id", request_id.encode())]}
    return start, {"type": "http.response.body", "body": payload}


class RequestContextMiddleware:
    """Request id (kept from ``X-Request-ID`` when sane, else new), body-size limit, access log and metrics."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.larger = larger or {}
        """Paths allowed a larger body than ``max_body_bytes`` (sync pushes)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        answered = False
        method = scope["method"]
        limit = self.larger.get(scope.get("path", ""), self.max_body_bytes)

        async def send_with_id(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = True
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            declared = headers.get("content-length")
            if declared is not None and (not declared.isdigit() or int(declared) > limit):
                raise _BodyTooLarge(limit)
            received = 0

            async def capped_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise _BodyTooLarge(limit)
                return message

            await self.app(scope, capped_receive, send_with_id)
        except _BodyTooLarge as error:
            status = 413
            start, body = _json_response(413, {"detail": error.detail}, request_id)
            await send(start)
            await send(body)
        except Exception:
            # Answered here rather than by Starlette's outermost handler, which runs after this middleware (request
            # id gone) and answers without it: the user gets the id to quote, and the log has it with the trace.
            if answered:
                raise
            status = 500
            log.exception("unhandled error", extra={"route": getattr(scope.get("route"), "path", None) or "unmatched"})
            start, body = _json_response(500, {"detail": UNEXPECTED_ERROR, "request_id": request_id}, request_id)
            await send(start)
            await send(body)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(elapsed)
            if status >= 500:
                ERRORS.labels(route).inc()
            log.info("request", extra={"method": method, "path": scope.get("path", ""), "route": route,
                                       "status": status, "duration_ms": round(elapsed * 1000, 1)})
            request_id_var.reset(token)
