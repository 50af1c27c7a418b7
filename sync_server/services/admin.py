"""Operator actions (the ``oet-sync-server admin`` commands): create a user, grant a plan, disable, enable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.context import ServerContext
from sync_server.core.security import check_password_policy
from sync_server.models import User, utcnow
from sync_server.services.common import find_user_by_email, normalise_email, record_event, revoke_devices

PLANS = ("free", "premium", "school")


class AdminError(Exception):
    """An operator command that cannot be carried out, with the reason."""


def _user(session: Session, email: str) -> User:
    user = find_user_by_email(session, email)
    if user is None:
        raise AdminError(f"No account uses the address {normalise_email(email)}.")
    return user


def create_user(ctx: ServerContext, session: Session, email: str, password: str, *, verified: bool) -> User:
    """Creates an account (the password policy applies here too)."""
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise AdminError(f"An account already uses the address {email}.")
    check_password_policy(password, email=email, min_length=ctx.settings.password_min_length)
    user = User(email=email, password_hash=ctx.passwords.hash(password),
                email_verified_at=utcnow() if verified else None)
    session.add(user)
    session.flush()
    record_event(session, user.id, "created_by_operator")
    return user


def grant_plan(session: Session, email: str, plan: str, *, until: datetime | None, note: str | None) -> User:
    """Sets the account's plan (``free`` takes it away)."""
    if plan not in PLANS:
        raise AdminError(f"Unknown plan {plan!r}; choose one of {', '.join(PLANS)}.")
    user = _user(session, email)
    user.plan = plan
    user.plan_expires_at = until
    user.plan_note = note
    record_event(session, user.id, "plan_granted", detail=f"{plan} until {until.isoformat() if until else 'never'}")
    return user


def set_disabled(session: Session, email: str, disabled: bool) -> User:
    """Disables an account (signing out every device) or enables it again."""
    user = _user(session, email)
    if disabled:
        user.disabled_at = user.disabled_at or utcnow()
        revoke_devices(session, user.id, "account_disabled")
        record_event(session, user.id, "disabled_by_operator")
    else:
        user.disabled_at = None
        record_event(session, user.id, "enabled_by_operator")
    return user


def list_users(session: Session) -> list[User]:
    """Every account, oldest first."""
    return list(session.scalars(select(User).order_by(User.created_at)))
