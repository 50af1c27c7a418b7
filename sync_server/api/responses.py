"""The error answers each route documents in the OpenAPI schema."""

from __future__ import annotations

from typing import Any

from sync_server.schemas import ErrorBody, ValidationErrorBody

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
    """``responses=`` for a route: each status with the ErrorBody schema (422: ValidationErrorBody)."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in (*codes, 413):
        entry: dict[str, Any] = {"description": _DESCRIPTIONS[code]}
        entry["model"] = ValidationErrorBody if code == 422 else ErrorBody
        if code == 429:
            entry["headers"] = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}
        out[code] = entry
    return out


def json_errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """``errors()`` for a route whose own answer is not JSON (a page): FastAPI would document every model with the
    route's media type, but these errors are answered as JSON, so they name their content type themselves."""
    out = errors(*codes)
    for entry in out.values():
        model = entry.pop("model")
        entry["content"] = {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}}
    return out
