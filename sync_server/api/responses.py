"""The error answers each route documents in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from sync_server.schemas import ErrorBody

_DESCRIPTIONS = {
    400: "The code or link is not valid, used, or expired",
    401: "Not signed in, or the credentials are wrong",
    403: "Refused: wrong password or code, or the account is disabled",
    404: "Not found on your account",
    409: "Conflicts with the account's current state",
    413: "The request body is too large",
    422: "The input is not valid (the message says which field and why)",
    429: "Too many attempts; see Retry-After",
}


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for a route: each status with the ErrorBody schema (422 keeps FastAPI's own schema)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in (*codes, 413):
        entry: dict[str, Any] = {"description": _DESCRIPTIONS[code]}
        if code != 422:
            entry["model"] = ErrorBody
        if code == 429:
            entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
        out[code] = entry
    return out
