"""The account's signed-in devices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status

from sync_server.api.deps import AddressDep, SessionDep, SignedInDep
from sync_server.api.responses import errors
from sync_server.schemas import DeviceOut
from sync_server.services import sessions

router = APIRouter(prefix="/v1/devices", tags=["devices"])


@router.get("", responses=errors(401, 403))
def list_devices(signed_in: SignedInDep, session: SessionDep) -> list[DeviceOut]:
    """The devices signed in to this account."""
    return [DeviceOut(id=d.id, name=d.name, created_at=d.created_at, last_seen_at=d.last_seen_at,
                      current=d.id == signed_in.device.id) for d in sessions.list_devices(session, signed_in.user)]


@router.delete("/{device_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 404, 422))
def revoke_device(device_id: Annotated[str, Path(min_length=1, max_length=64)], signed_in: SignedInDep,
                  session: SessionDep, address: AddressDep) -> Response:
    """Signs out one of this account's devices."""
    sessions.revoke_device(session, signed_in.user, device_id, address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
