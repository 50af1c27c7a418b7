"""Sync: push changes to the account's log, pull the changes after a cursor (protocol in docs/sync.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query

from sync_server.api.deps import ContextDep, SessionDep, SignedInDep
from sync_server.api.responses import errors
from sync_server.errors import ServiceError
from sync_server.schemas import SYNC_PROTOCOL, ErrorBody, ResyncRequired, SyncPull, SyncPush, SyncPushResult
from sync_server.services import sync

router = APIRouter(prefix="/v1/sync", tags=["sync"])
RESYNC = "The sync position this computer holds does not fit the server's log (another server, or one restored "\
         "from a backup): pull everything again."


def _protocol(version: int | None) -> None:
    if version != SYNC_PROTOCOL:
        raise ServiceError(426, f"This server speaks sync protocol {SYNC_PROTOCOL}; this version of the app speaks "
                                f"{version or 'none'}. Update OET Desktop to sync (it keeps working offline).")


ProtocolHeader = Annotated[int | None, Header(alias="OET-Sync-Protocol", ge=0, le=1000)]
_RESPONSES = {**errors(401, 403, 422, 429), 426: {"model": ErrorBody, "description": "Update the app"}}


@router.post("/changes", responses=_RESPONSES)
def push_changes(body: SyncPush, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                 protocol: ProtocolHeader = None) -> SyncPushResult:
    """Adds changes to the account's log (a change whose key the log has is kept once)."""
    _protocol(protocol)
    return sync.push(ctx, session, signed_in.user, body.changes)


@router.get("/changes", responses={**_RESPONSES, 409: {"model": ResyncRequired, "description": "Resync required"}})
def pull_changes(signed_in: SignedInDep, session: SessionDep, protocol: ProtocolHeader = None,
                 cursor: Annotated[str, Query(max_length=200, pattern=r"^[A-Za-z0-9_-]*$")] = "",
                 limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> SyncPull:
    """The changes after ``cursor`` (from the start without one); 409 ``resync_required`` when it does not fit."""
    _protocol(protocol)
    try:
        return sync.pull(session, signed_in.user, cursor, limit)
    except sync.ResyncRequiredError:
        raise ServiceError(409, RESYNC, code="resync_required") from None
