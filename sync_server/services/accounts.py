"""Accounts: registration and email verification, password reset and change, email change, two-factor
settings, and the GDPR export and erasure."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any, NoReturn

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sync_server.context import ServerContext
from sync_server.core import ratelimit
from sync_server.core.mail import send_quietly
from sync_server.core.security import PasswordPolicyError, check_password_policy, new_opaque_token, token_digest
from sync_server.errors import ServiceError
from sync_server.models import AccountEvent, Device, EmailToken, RecoveryCode, RefreshToken, SyncChange, User, utcnow
from sync_server.schemas import Account, RecoveryCodes, TwoFactorEnrolment
from sync_server.services import mail_texts, two_factor
from sync_server.services.common import (
    Later,
    PostMail,
    find_user_by_email,
    normalise_email,
    record_event,
    revoke_devices,
)

VERIFY = "verify"
RESET = "reset"
EMAIL_CHANGE = "email_change"
BAD_LINK = "This code is not valid, was already used, or has expired; ask for a new one from the app."
REGISTERED = ("If this address can receive mail, a message is on its way to it: follow it to verify the address, "
              "then sign in.")
RESET_SENT = "If an account uses this address, a reset code is on its way to it."


def account_view(user: User) -> Account:
    """What the account page shows."""
    return Account(id=user.id, email=user.email, email_verified=user.email_verified_at is not None,
                   created_at=user.created_at, two_factor_enabled=user.totp_enabled_at is not None,
                   plan=user.plan, plan_expires_at=user.plan_expires_at)


def _policy(ctx: ServerContext, password: str, email: str, field: str = "password") -> None:
    try:
        check_password_policy(password, email=email, min_length=ctx.settings.password_min_length)
    except PasswordPolicyError as error:
        raise ServiceError(422, str(error), field=("body", field)) from None


def _new_mail_token(session: Session, user: User, purpose: str, lifetime: timedelta,
                    new_email: str | None = None) -> str:
    """A single-use token for ``purpose``; any earlier unused one for the same purpose stops working."""
    now = utcnow()
    session.execute(update(EmailToken).where(EmailToken.user_id == user.id, EmailToken.purpose == purpose,
                                             EmailToken.used_at.is_(None)).values(used_at=now))
    token = new_opaque_token()
    session.add(EmailToken(user_id=user.id, purpose=purpose, token_hash=token_digest(token), new_email=new_email,
                           expires_at=now + lifetime))
    return token


def _cancel_mail_tokens(session: Session, user_id: str, *purposes: str) -> None:
    """Unused mailed codes for ``purposes`` stop working (after the password or the address changed, a code
    asked for before, possibly by someone else or sent to a mailbox that is no longer the account's, must not)."""
    session.execute(update(EmailToken).where(EmailToken.user_id == user_id, EmailToken.purpose.in_(purposes),
                                             EmailToken.used_at.is_(None)).values(used_at=utcnow()))


def _redeem(session: Session, token: str, purpose: str) -> EmailToken:
    """Spends a mailed code: one conditional update, so two requests racing with the same code cannot both win."""
    now = utcnow()
    row = session.scalar(select(EmailToken).where(EmailToken.token_hash == token_digest(token),
                                                  EmailToken.purpose == purpose))
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise ServiceError(400, BAD_LINK)
    spent = session.execute(update(EmailToken).where(EmailToken.id == row.id, EmailToken.used_at.is_(None))
                            .values(used_at=now)).rowcount  # type: ignore[attr-defined]
    if spent != 1:
        raise ServiceError(400, BAD_LINK)
    return row


def register(ctx: ServerContext, session: Session, email: str, password: str, address: str,
             post: PostMail) -> str:
    """Creates an unverified account and mails a verification code. The answer is the same whether or not the
    address already has an account (its owner gets a mail saying so instead)."""
    ctx.limiter.enforce(ratelimit.REGISTER_PER_ADDRESS, address)
    email = normalise_email(email)
    _policy(ctx, password, email)
    password_hash = ctx.passwords.hash(password)  # hashed either way, so both answers take as long
    if find_user_by_email(session, email) is None:
        user = User(email=email, password_hash=password_hash)
        session.add(user)
        try:
            session.flush()
        except IntegrityError:  # registered by a concurrent request
            session.rollback()
        else:
            hours = ctx.settings.verify_token_hours
            token = _new_mail_token(session, user, VERIFY, timedelta(hours=hours))
            record_event(session, user.id, "registered", address=address)
            post(mail_texts.verification(ctx.settings, email, token, hours))
            return REGISTERED
    if ctx.limiter.hit(ratelimit.MAIL_SEND_PER_ACCOUNT, email).allowed:
        post(mail_texts.already_registered(ctx.settings, email))
    return REGISTERED


def verify_email(ctx: ServerContext, session: Session, token: str, address: str) -> User:
    """Marks the address verified with the mailed code."""
    ctx.limiter.enforce(ratelimit.MAIL_TOKEN_PER_ADDRESS, address)
    row = _redeem(session, token, VERIFY)
    user = session.get(User, row.user_id)
    if user is None:
        raise ServiceError(400, BAD_LINK)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        record_event(session, user.id, "email_verified", address=address)
    return user


def resend_verification(ctx: ServerContext, session: Session, user: User, post: PostMail) -> str:
    """Mails a fresh verification code (limited per account)."""
    if user.email_verified_at is not None:
        raise ServiceError(409, "This email address is already verified.")
    ctx.limiter.enforce(ratelimit.MAIL_SEND_PER_ACCOUNT, user.email)
    hours = ctx.settings.verify_token_hours
    token = _new_mail_token(session, user, VERIFY, timedelta(hours=hours))
    post(mail_texts.verification(ctx.settings, user.email, token, hours))
    return "A new verification message is on its way."


def request_password_reset(ctx: ServerContext, email: str, address: str, later: Later) -> str:
    """Mails a reset code if the account exists. The request itself only counts the rate limits, the same for
    every address; looking the account up, making the code and mailing it happen after the response, so known and
    unknown addresses get the same answer in the same time."""
    email = normalise_email(email)
    ctx.limiter.enforce(ratelimit.RESET_PER_ADDRESS, address)
    ctx.limiter.enforce(ratelimit.RESET_PER_EMAIL, email)
    later(lambda: _mail_reset_code(ctx, email, address))
    return RESET_SENT


def _mail_reset_code(ctx: ServerContext, email: str, address: str) -> None:
    with ctx.database.session() as session:
        user = find_user_by_email(session, email)
        if user is None or user.disabled_at is not None:
            return
        minutes = ctx.settings.reset_token_minutes
        token = _new_mail_token(session, user, RESET, timedelta(minutes=minutes))
        record_event(session, user.id, "password_reset_requested", address=address)
        message = mail_texts.password_reset(ctx.settings, user.email, token, minutes)
    send_quietly(ctx.mailer, message)


def reset_password(ctx: ServerContext, session: Session, token: str, new_password: str, address: str,
                   post: PostMail) -> None:
    """Sets a new password with a mailed reset code and signs out every device."""
    ctx.limiter.enforce(ratelimit.MAIL_TOKEN_PER_ADDRESS, address)
    row = session.scalar(select(EmailToken).where(EmailToken.token_hash == token_digest(token),
                                                  EmailToken.purpose == RESET))
    if row is None or row.used_at is not None or row.expires_at <= utcnow():
        raise ServiceError(400, BAD_LINK)
    user = session.get(User, row.user_id)
    if user is None:
        raise ServiceError(400, BAD_LINK)
    _policy(ctx, new_password, user.email, "new_password")  # checked before the code is spent
    _redeem(session, token, RESET)
    user.password_hash = ctx.passwords.hash(new_password)
    user.email_verified_at = user.email_verified_at or utcnow()  # the code proved the mailbox is theirs
    revoke_devices(session, user.id, "password_reset")
    _cancel_mail_tokens(session, user.id, RESET, EMAIL_CHANGE)
    record_event(session, user.id, "password_reset", address=address)
    post(mail_texts.notice(ctx.settings, user.email, "Your OET Desktop password was reset",
                           "The password of your account was just reset, and every device was signed out."))


def _require_verified(user: User) -> None:
    """Refuses changes that would let someone who registered another person's address keep it (two-factor,
    a new address) until the address is verified."""
    if user.email_verified_at is None:
        raise ServiceError(403, "Verify your email address first: follow the link in the message we sent you "
                                "(Settings → Account can send a new one).")


def check_password(ctx: ServerContext, session: Session, user: User, password: str, address: str) -> None:
    """Confirms the account's password before a sensitive change (failures are rate-limited per account)."""
    ctx.limiter.enforce(ratelimit.PASSWORD_CHECK_FAILURES_PER_ACCOUNT, user.id)  # taken back when right
    if ctx.passwords.verify(user.password_hash, password):
        ctx.limiter.release(ratelimit.PASSWORD_CHECK_FAILURES_PER_ACCOUNT, user.id)
        return
    user_id = user.id
    session.rollback()
    record_event(session, user_id, "password_check_failed", address=address)
    session.commit()
    raise ServiceError(403, "The password is wrong.")


def change_password(ctx: ServerContext, session: Session, user: User, device: Device, current: str, new: str,
                    address: str, post: PostMail) -> None:
    """Changes the password and signs out every other device."""
    check_password(ctx, session, user, current, address)
    _policy(ctx, new, user.email, "new_password")
    user.password_hash = ctx.passwords.hash(new)
    revoke_devices(session, user.id, "password_changed", keep=device.id)
    _cancel_mail_tokens(session, user.id, RESET, EMAIL_CHANGE)
    record_event(session, user.id, "password_changed", address=address)
    post(mail_texts.notice(ctx.settings, user.email, "Your OET Desktop password was changed",
                           "The password of your account was just changed, and your other devices were signed out."))


def request_email_change(ctx: ServerContext, session: Session, user: User, new_email: str, password: str,
                         address: str, post: PostMail) -> str:
    """Mails a confirmation code to the new address (nothing changes until it is used)."""
    _require_verified(user)
    check_password(ctx, session, user, password, address)
    new_email = normalise_email(new_email)
    if new_email == user.email:
        raise ServiceError(409, "That is already the address of this account.")
    ctx.limiter.enforce(ratelimit.MAIL_SEND_PER_ACCOUNT, user.email)
    if find_user_by_email(session, new_email) is None:
        minutes = ctx.settings.reset_token_minutes
        token = _new_mail_token(session, user, EMAIL_CHANGE, timedelta(minutes=minutes), new_email=new_email)
        post(mail_texts.email_change(ctx.settings, new_email, token, minutes))
    return "A confirmation code is on its way to the new address; the change takes effect when it is used."


def confirm_email_change(ctx: ServerContext, session: Session, token: str, address: str, post: PostMail) -> User:
    """Moves the account to the confirmed new address and tells the old one."""
    ctx.limiter.enforce(ratelimit.MAIL_TOKEN_PER_ADDRESS, address)
    row = _redeem(session, token, EMAIL_CHANGE)
    user = session.get(User, row.user_id)
    if user is None or row.new_email is None:
        raise ServiceError(400, BAD_LINK)
    if find_user_by_email(session, row.new_email) is not None:
        raise ServiceError(409, "Another account now uses that address.")
    old = user.email
    user.email = row.new_email
    user.email_verified_at = utcnow()
    try:
        session.flush()
    except IntegrityError:  # another account confirmed the same address at the same moment
        session.rollback()
        raise ServiceError(409, "Another account now uses that address.") from None
    _cancel_mail_tokens(session, user.id, VERIFY, RESET)
    record_event(session, user.id, "email_changed", address=address)
    post(mail_texts.notice(ctx.settings, old, "The address of your OET Desktop account was changed",
                           f"Your account now uses the address {user.email}. If you did not do this, reset your "
                           "password at once."))
    return user


def start_two_factor(ctx: ServerContext, session: Session, user: User, password: str,
                     address: str) -> TwoFactorEnrolment:
    """Begins enrolment after the password is confirmed."""
    _require_verified(user)
    check_password(ctx, session, user, password, address)
    if user.totp_enabled_at is not None:
        raise ServiceError(409, "Two-factor sign-in is already on; turn it off first to enrol a new authenticator.")
    return two_factor.begin_enrolment(user)


def confirm_two_factor(ctx: ServerContext, session: Session, user: User, code: str,
                       address: str) -> RecoveryCodes:
    """Turns two-factor sign-in on with a first code; returns the recovery codes."""
    if user.totp_enabled_at is not None:
        raise ServiceError(409, "Two-factor sign-in is already on.")
    if user.totp_secret is None:
        raise ServiceError(409, "Start two-factor enrolment first.")
    _code_attempt(ctx, user)
    codes = two_factor.confirm_enrolment(session, user, code)
    if codes is None:
        _code_failed(ctx, session, user, address)
    _code_succeeded(ctx, user)
    record_event(session, user.id, "two_factor_enabled", address=address)
    return codes


def _code_attempt(ctx: ServerContext, user: User) -> None:
    """Counts a code attempt as a failure in advance (``_code_succeeded`` takes it back)."""
    ctx.limiter.enforce(ratelimit.TWO_FACTOR_FAILURES_PER_ACCOUNT, user.id)


def _code_succeeded(ctx: ServerContext, user: User) -> None:
    ctx.limiter.release(ratelimit.TWO_FACTOR_FAILURES_PER_ACCOUNT, user.id)


def _code_failed(ctx: ServerContext, session: Session, user: User, address: str) -> NoReturn:
    user_id = user.id
    session.rollback()
    record_event(session, user_id, "two_factor_failed", address=address)
    session.commit()
    raise ServiceError(403, "The code is wrong or was already used.")


def _require_code(ctx: ServerContext, session: Session, user: User, code: str | None, address: str) -> None:
    if user.totp_enabled_at is None:
        return
    if code is None:
        raise ServiceError(403, "Two-factor sign-in is on: give a code from your authenticator or a recovery code.")
    _code_attempt(ctx, user)
    if not two_factor.accept_code(session, user, code):
        _code_failed(ctx, session, user, address)
    _code_succeeded(ctx, user)


def disable_two_factor(ctx: ServerContext, session: Session, user: User, password: str, code: str,
                       address: str, post: PostMail) -> None:
    """Turns two-factor sign-in off (password and a code)."""
    if user.totp_enabled_at is None:
        raise ServiceError(409, "Two-factor sign-in is not on.")
    check_password(ctx, session, user, password, address)
    _require_code(ctx, session, user, code, address)
    two_factor.disable(session, user)
    record_event(session, user.id, "two_factor_disabled", address=address)
    post(mail_texts.notice(ctx.settings, user.email, "Two-factor sign-in was turned off",
                           "Two-factor sign-in was just turned off for your OET Desktop account."))


def regenerate_recovery_codes(ctx: ServerContext, session: Session, user: User, code: str,
                              address: str) -> RecoveryCodes:
    """Replaces the recovery codes (needs a current code)."""
    if user.totp_enabled_at is None:
        raise ServiceError(409, "Two-factor sign-in is not on.")
    _require_code(ctx, session, user, code, address)
    record_event(session, user.id, "recovery_codes_replaced", address=address)
    return two_factor.new_recovery_codes(session, user)


def export(session: Session, user: User) -> dict[str, Any]:
    """Everything the server holds about the account, as JSON-ready data (no secrets or digests)."""
    def when(value: Any) -> str | None:
        return value.isoformat() if value is not None else None

    devices = list(session.scalars(select(Device).where(Device.user_id == user.id).order_by(Device.created_at)))
    device_ids = [d.id for d in devices]
    tokens = list(session.scalars(select(RefreshToken).where(RefreshToken.device_id.in_(device_ids))
                                  .order_by(RefreshToken.created_at))) if device_ids else []
    mail_tokens = session.scalars(select(EmailToken).where(EmailToken.user_id == user.id)
                                  .order_by(EmailToken.created_at))
    codes = list(session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)))
    events = session.scalars(select(AccountEvent).where(AccountEvent.user_id == user.id)
                             .order_by(AccountEvent.at, AccountEvent.id))
    changes = session.scalars(select(SyncChange).where(SyncChange.user_id == user.id).order_by(SyncChange.seq))
    return {
        "format": "oet-sync-server/account-export/1",
        "exported_at": utcnow().isoformat(),
        "account": {"id": user.id, "email": user.email, "created_at": when(user.created_at),
                    "email_verified_at": when(user.email_verified_at), "disabled_at": when(user.disabled_at),
                    "plan": user.plan, "plan_expires_at": when(user.plan_expires_at), "plan_note": user.plan_note},
        "two_factor": {"enabled_at": when(user.totp_enabled_at),
                       "recovery_codes_unused": sum(1 for c in codes if c.used_at is None),
                       "recovery_codes_used": sum(1 for c in codes if c.used_at is not None)},
        "devices": [{"id": d.id, "name": d.name, "client_id": d.client_id, "created_at": when(d.created_at),
                     "last_seen_at": when(d.last_seen_at), "last_address": d.last_address,
                     "revoked_at": when(d.revoked_at), "revoked_reason": d.revoked_reason} for d in devices],
        "refresh_tokens": [{"device_id": t.device_id, "created_at": when(t.created_at),
                            "expires_at": when(t.expires_at), "used_at": when(t.used_at)} for t in tokens],
        "mailed_codes": [{"purpose": t.purpose, "new_email": t.new_email, "created_at": when(t.created_at),
                          "expires_at": when(t.expires_at), "used_at": when(t.used_at)} for t in mail_tokens],
        "events": [{"kind": e.kind, "at": when(e.at), "address": e.address, "detail": e.detail} for e in events],
        "sync_changes": [{"seq": c.seq, "entity": c.entity, "entity_id": c.entity_id, "op": c.op,
                          "changed_at": when(c.changed_at), "origin": c.origin,
                          "data": json.loads(c.data) if c.data is not None else None,
                          "sealed": c.sealed, "received_at": when(c.received_at)} for c in changes],
    }


def delete_account(ctx: ServerContext, session: Session, user: User, password: str, code: str | None,
                   address: str, post: PostMail) -> None:
    """Erases the account and everything that references it (devices, tokens, codes, history)."""
    check_password(ctx, session, user, password, address)
    _require_code(ctx, session, user, code, address)
    email = user.email
    session.execute(delete(User).where(User.id == user.id))
    session.expunge_all()
    post(mail_texts.notice(ctx.settings, email, "Your OET Desktop account was deleted",
                           "Your account and everything the server held about it have been deleted. The practice "
                           "data on your computers is untouched."))
