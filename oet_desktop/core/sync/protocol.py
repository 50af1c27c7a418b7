"""The sync protocol's wire format (version 1, docs/sync.md), spoken by the app itself (it never imports the
server's code): changes, a push's answer, a pull's page, and the account API's answers. Parsing checks every
field, so a malformed answer is a :class:`ProtocolError`, never a crash deep in the merge."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal, cast

SYNC_PROTOCOL = 1
PROTOCOL_HEADER = "OET-Sync-Protocol"
ENTITIES = ("profile", "setting", "session", "feedback", "session_detail", "feedback_report")
SEALED_ENTITIES = ("session_detail", "feedback_report")
"""Practice details: only sent with "sync practice details" on, and then sealed."""
OPERATIONS = ("upsert", "delete")
MAX_PUSH = 500
"""Changes the server takes in one push."""
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
"""An idempotency key or a client id."""

Operation = Literal["upsert", "delete"]


class ProtocolError(Exception):
    """An answer from the server that does not follow the protocol."""


def _field(body: dict[str, Any], name: str, kind: type | tuple[type, ...], optional: bool = False) -> Any:
    value = body.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"the server's answer has no valid {name!r}")
    return value


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ProtocolError(f"the server's {what} is not a JSON object")
    return cast(dict[str, Any], value)


@dataclass(frozen=True)
class WireChange:
    """One change as it travels: plain ``data`` for summaries and scores, or a ``sealed`` blob for details;
    neither for a delete. Pulled changes carry the log's ``seq``."""

    key: str
    entity: str
    entity_id: str
    op: Operation
    changed_at: str
    origin: str
    data: dict[str, Any] | None = None
    sealed: str | None = None
    seq: int | None = None

    def __post_init__(self) -> None:
        if self.op not in OPERATIONS:
            raise ProtocolError(f"unknown operation {self.op!r}")
        if not TOKEN_PATTERN.match(self.key):
            raise ProtocolError(f"the change key {self.key!r} is not 8-64 letters, digits, '-' or '_'")
        if not TOKEN_PATTERN.match(self.origin):
            raise ProtocolError(f"the origin {self.origin!r} is not 8-64 letters, digits, '-' or '_'")
        if not self.entity_id:
            raise ProtocolError("a change without an entity id")
        if self.data is not None and self.sealed is not None:
            raise ProtocolError("a change carries both data and a sealed payload")

    def to_json(self) -> dict[str, Any]:
        """The change as pushed (``seq`` is the server's, never sent)."""
        return {"key": self.key, "entity": self.entity, "entity_id": self.entity_id, "op": self.op,
                "changed_at": self.changed_at, "origin": self.origin, "data": self.data, "sealed": self.sealed}

    @classmethod
    def from_json(cls, raw: Any) -> WireChange:
        """A pulled change (its entity may be one a later protocol added: the engine skips those)."""
        body = _object(raw, "change")
        op = _field(body, "op", str)
        if op not in OPERATIONS:
            raise ProtocolError(f"unknown operation {op!r} in a pulled change")
        data = body.get("data")
        if data is not None and not isinstance(data, dict):
            raise ProtocolError("a pulled change's data is not an object")
        return cls(key=_field(body, "key", str), entity=_field(body, "entity", str),
                   entity_id=_field(body, "entity_id", str), op=cast(Operation, op),
                   changed_at=_field(body, "changed_at", str), origin=_field(body, "origin", str),
                   data=cast(dict[str, Any] | None, data), sealed=_field(body, "sealed", str, optional=True),
                   seq=_field(body, "seq", int, optional=True))

    def wire_size(self) -> int:
        """Roughly how many bytes the change takes in a push (for keeping a request under the server's limit)."""
        return len(json.dumps(self.to_json(), ensure_ascii=False).encode())


@dataclass(frozen=True)
class PushResult:
    """A push's answer: changes added to the log, and changes it already had (a batch sent again)."""

    accepted: int
    duplicates: int

    @classmethod
    def from_json(cls, raw: Any) -> PushResult:
        body = _object(raw, "push answer")
        return cls(_field(body, "accepted", int), _field(body, "duplicates", int))


@dataclass(frozen=True)
class PullPage:
    """A pull's answer: changes after the cursor given, the cursor to give next, whether more are waiting."""

    changes: list[WireChange]
    cursor: str
    more: bool

    @classmethod
    def from_json(cls, raw: Any) -> PullPage:
        body = _object(raw, "pull answer")
        changes = _field(body, "changes", list)
        return cls([WireChange.from_json(c) for c in changes], _field(body, "cursor", str),
                   _field(body, "more", bool))


@dataclass(frozen=True)
class Tokens:
    """What a sign-in gives this computer: tokens for its device (kept in the system keyring)."""

    access_token: str
    refresh_token: str
    device_id: str
    email: str = ""

    @classmethod
    def from_json(cls, raw: Any, email: str = "") -> Tokens:
        body = _object(raw, "sign-in answer")
        return cls(_field(body, "access_token", str), _field(body, "refresh_token", str),
                   _field(body, "device_id", str), email)

    def as_json(self) -> dict[str, str]:
        return {"access_token": self.access_token, "refresh_token": self.refresh_token,
                "device_id": self.device_id, "email": self.email}

    def __repr__(self) -> str:  # never print a token
        return f"Tokens(device_id={self.device_id!r}, email={self.email!r})"


@dataclass(frozen=True)
class TwoFactorChallenge:
    """The password was right; the account needs an authenticator (or recovery) code with this ticket."""

    ticket: str
    expires_in: int

    def __repr__(self) -> str:
        return f"TwoFactorChallenge(expires_in={self.expires_in})"


@dataclass(frozen=True)
class AccountInfo:
    """The signed-in account."""

    id: str
    email: str
    email_verified: bool
    two_factor_enabled: bool
    plan: str
    created_at: str = ""
    plan_expires_at: str | None = None

    @classmethod
    def from_json(cls, raw: Any) -> AccountInfo:
        body = _object(raw, "account")
        return cls(_field(body, "id", str), _field(body, "email", str), _field(body, "email_verified", bool),
                   _field(body, "two_factor_enabled", bool), _field(body, "plan", str),
                   _field(body, "created_at", str, optional=True) or "",
                   _field(body, "plan_expires_at", str, optional=True))


@dataclass(frozen=True)
class DeviceInfo:
    """One signed-in device of the account."""

    id: str
    name: str
    created_at: str
    last_seen_at: str
    current: bool

    @classmethod
    def from_json(cls, raw: Any) -> DeviceInfo:
        body = _object(raw, "device")
        return cls(_field(body, "id", str), _field(body, "name", str), _field(body, "created_at", str),
                   _field(body, "last_seen_at", str), _field(body, "current", bool))
