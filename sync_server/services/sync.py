"""The sync log: devices push their changes (deduplicated by idempotency key) and pull the changes after a
cursor. The server orders and stores; it never merges or reads sealed payloads (the app merges, see docs/sync.md)."""

from __future__ import annotations

import base64
import binascii
import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync_server.context import ServerContext
from sync_server.core.security import token_digest
from sync_server.errors import ServiceError
from sync_server.models import SyncChange, User, utcnow
from sync_server.schemas import SyncChangeIn, SyncChangeOut, SyncPull, SyncPushResult

MAX_DATA_BYTES = 64 * 1024
SEALED = frozenset({"session_detail", "feedback_report"})
"""Entities that only ever travel sealed (practice details); the others only plain."""
MAX_PAGE_BYTES = 4 * 1024 * 1024
"""A pull page stops growing past this (it always holds at least one change)."""
START = ""


class ResyncRequiredError(Exception):
    """The client's cursor does not fit the log: it must pull everything again and push what it holds."""


def _require_verified(user: User) -> None:
    if user.email_verified_at is None:
        raise ServiceError(403, "Verify your email address first: sync starts once the address is verified.")


def encode_cursor(change: SyncChange) -> str:
    """An opaque cursor: the change's place in the log and a digest of its key (so a restored or other server's
    log, whose change at that place differs, is noticed)."""
    raw = f"{change.seq}:{token_digest(change.key)[:16]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[int, str]:
    try:
        seq, digest = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().split(":")
        return int(seq), digest
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise ResyncRequiredError from None


def push(ctx: ServerContext, session: Session, user: User, changes: list[SyncChangeIn]) -> SyncPushResult:
    """Appends the changes the log does not have yet, in the order given."""
    _require_verified(user)
    latest = utcnow() + timedelta(days=1)
    for change in changes:
        if change.data is not None and len(json.dumps(change.data)) > MAX_DATA_BYTES:
            raise ServiceError(422, f"A change's data is larger than {MAX_DATA_BYTES} bytes.",
                               field=("body", "changes", "data"))
        sealed_only = change.data is None and change.sealed is not None
        plain_only = change.data is not None and change.sealed is None
        if change.op == "upsert" and not (sealed_only if change.entity in SEALED else plain_only):
            raise ServiceError(422, f"A {change.entity} upsert carries "
                                    f"{'only a sealed payload' if change.entity in SEALED else 'only plain data'}.",
                               field=("body", "changes"))
        if change.changed_at > latest:
            raise ServiceError(422, "A change is dated more than a day ahead of the server's clock: check this "
                                    "computer's date and time.", field=("body", "changes", "changed_at"))
    # One push per account at a time: the log's order is the order its changes were committed, so a puller never
    # sees a later change before an earlier one.
    # (PostgreSQL: a row lock on the account; SQLite: its single writer does the same.)
    session.execute(select(User.id).where(User.id == user.id).with_for_update())
    insert = postgresql.insert if not ctx.database.is_sqlite else sqlite.insert
    accepted = 0
    for change in changes:
        statement = insert(SyncChange).values(
            user_id=user.id, key=change.key, entity=change.entity, entity_id=change.entity_id, op=change.op,
            changed_at=change.changed_at, origin=change.origin,
            data=json.dumps(change.data, ensure_ascii=False) if change.data is not None else None,
            sealed=change.sealed).on_conflict_do_nothing(index_elements=["user_id", "key"]).returning(SyncChange.seq)
        accepted += len(session.execute(statement).all())
    return SyncPushResult(accepted=accepted, duplicates=len(changes) - accepted)


def pull(session: Session, user: User, cursor: str, limit: int) -> SyncPull:
    """The changes after ``cursor`` (all of them from the start for an empty cursor), oldest first."""
    _require_verified(user)
    after = 0
    if cursor != START:
        after, digest = _decode_cursor(cursor)
        at = session.scalar(select(SyncChange).where(SyncChange.user_id == user.id, SyncChange.seq == after))
        if at is None or token_digest(at.key)[:16] != digest:
            raise ResyncRequiredError
    rows = list(session.scalars(select(SyncChange).where(SyncChange.user_id == user.id, SyncChange.seq > after)
                                .order_by(SyncChange.seq).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    size = 0
    for index, row in enumerate(rows):  # a page of sealed details stays a few MiB, not hundreds
        size += len(row.data or "") + len(row.sealed or "") + 200
        if size > MAX_PAGE_BYTES and index > 0:
            rows, more = rows[:index], True
            break
    changes = [SyncChangeOut(seq=r.seq, key=r.key, entity=r.entity, entity_id=r.entity_id, op=r.op,
                             changed_at=r.changed_at, origin=r.origin,
                             data=json.loads(r.data) if r.data is not None else None, sealed=r.sealed)
               for r in rows]
    next_cursor = encode_cursor(rows[-1]) if rows else cursor
    return SyncPull(changes=changes, cursor=next_cursor, more=more)
