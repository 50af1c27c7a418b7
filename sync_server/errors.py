"""Errors the services raise, each with its HTTP status and a sentence for the user."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the server refuses, with the status to answer and what is wrong in words."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None,
                 field: tuple[str, ...] | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.field = field
        self.code = code
        """A machine-readable tag some answers carry (``resync_required``)."""
        """For a 422: where in the request the bad value is (answered in FastAPI's validation-error shape)."""


def unauthorised(detail: str = "Sign in first: the access token is missing, expired or revoked.") -> ServiceError:
    """401 with the ``WWW-Authenticate`` header."""
    return ServiceError(401, detail, headers={"WWW-Authenticate": "Bearer"})
