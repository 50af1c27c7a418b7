"""Liveness and readiness for load balancers and orchestrators."""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sync_server.api.deps import ContextDep
from sync_server.core.migrations import current_revision, head_revision
from sync_server.schemas import Health, Readiness

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)


@router.get("/healthz")
def healthz() -> Health:
    """The process is up."""
    return Health()


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness, "description": "Not ready"}})
def readyz(ctx: ContextDep) -> Readiness | JSONResponse:
    """Ready when the database answers and its migrations are at head."""
    try:
        ctx.database.ping()
        current = current_revision(ctx.database.engine)
    except Exception as error:
        log.warning("database unreachable", extra={"error": type(error).__name__})
        body = Readiness(status="not_ready", database=False, migrations_current=False,
                         detail="The database cannot be reached.")
        return JSONResponse(body.model_dump(), status_code=503)
    head = head_revision()
    if current != head:
        body = Readiness(status="not_ready", database=True, migrations_current=False,
                         detail=f"The database is at migration {current or '(none)'}, not {head}: "
                                "run `oet-sync-server migrate`.")
        return JSONResponse(body.model_dump(), status_code=503)
    return Readiness(status="ready", database=True, migrations_current=True)
