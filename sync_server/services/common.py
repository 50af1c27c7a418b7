"""Small helpers the services share: normalised emails, the audit trail, and mail sent after the response."""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.models import AccountEvent, Device, User, utcnow

PostMail = Callable[[EmailMessage], None]
"""Queues a message to send once the response has gone (so timing never depends on the mail server)."""
Later = Callable[[Callable[[], None]], None]
"""Queues work to run once the response has gone: what only a known account needs, so that known and unknown
addresses are answered in the same time."""


def normalise_email(email: str) -> str:
    """Email addresses compare case-insensitively and without surrounding space."""
    return email.strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    """The account with this address, if any."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def record_event(session: Session, user_id: str, kind: str, *, address: str | None = None,
                 detail: str | None = None) -> None:
    """Adds an entry to the account's security history."""
    session.add(AccountEvent(user_id=user_id, kind=kind, address=address, detail=detail))


def revoke_devices(session: Session, user_id: str, reason: str, *, keep: str | None = None) -> int:
    """Signs out every device of the account (except ``keep``); returns how many."""
    statement = (update(Device).where(Device.user_id == user_id, Device.revoked_at.is_(None))
                 .values(revoked_at=utcnow(), revoked_reason=reason))
    if keep is not None:
        statement = statement.where(Device.id != keep)
    return session.execute(statement).rowcount  # type: ignore[attr-defined, no-any-return]
