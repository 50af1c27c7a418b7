"""Signing in and out: devices, access tokens and rotating refresh tokens with reuse detection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server.context import ServerContext
from sync_server.core import ratelimit
from sync_server.core.observability import SIGN_INS
from sync_server.core.security import ACCESS, MFA_TICKET, new_opaque_token, token_digest
from sync_server.errors import ServiceError, unauthorised
from sync_server.models import AccountEvent, Device, RefreshToken, User, utcnow
from sync_server.schemas import SignInRequest, TokenPair, TwoFactorRequired, TwoFactorSignInRequest
from sync_server.services import two_factor
from sync_server.services.common import Later, find_user_by_email, normalise_email, record_event

WRONG_CREDENTIALS = "The email address or password is wrong."
REFRESH_REUSE_GRACE = timedelta(seconds=60)
"""A replaced refresh token may be presented again this soon, while its successor is unused (the answer to the
first refresh was lost on the way): it is then replaced again, and only the newest answer's token is good. Later,
or once the successor was used, it is treated as stolen and the whole chain is revoked. A client refreshes one
request at a time (the app's sync client does), so "the newest answer" is the one it keeps."""
LAST_SEEN_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class SignedInDevice:
    """The account and device an access token belongs to."""

    user: User
    device: Device


def _issue(ctx: ServerContext, session: Session, device: Device) -> TokenPair:
    refresh = new_opaque_token()
    token = RefreshToken(device_id=device.id, token_hash=token_digest(refresh),
                         expires_at=utcnow() + timedelta(days=ctx.settings.refresh_token_days))
    session.add(token)
    session.flush()
    lifetime = timedelta(minutes=ctx.settings.access_token_minutes)
    access, _ = ctx.signer.issue(ACCESS, device.user_id, device_id=device.id, lifetime=lifetime)
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=int(lifetime.total_seconds()),
                     device_id=device.id)


def start_device(ctx: ServerContext, session: Session, user: User, *, name: str, client_id: str | None,
                 address: str) -> TokenPair:
    """Registers a newly signed-in device and gives it its first tokens."""
    if client_id is not None:  # the same copy of the app signing in again replaces its old sign-in
        session.execute(update(Device).where(Device.user_id == user.id, Device.client_id == client_id,
                                             Device.revoked_at.is_(None))
                        .values(revoked_at=utcnow(), revoked_reason="signed_in_again"))
    device = Device(user_id=user.id, name=name, client_id=client_id, last_address=address)
    session.add(device)
    session.flush()
    record_event(session, user.id, "signed_in", address=address, detail=name)
    SIGN_INS.labels("signed_in").inc()
    return _issue(ctx, session, device)


def _password_fingerprint(user: User) -> str:
    """Ties a sign-in ticket to the password it was issued for: a reset or change voids open tickets."""
    return token_digest(user.password_hash)[:16]


def _record_failure(ctx: ServerContext, user_id: str, kind: str, address: str) -> None:
    with ctx.database.session() as session:
        if session.get(User, user_id) is not None:
            record_event(session, user_id, kind, address=address)


def _signed_in_from(session: Session, user: User, address: str) -> bool:
    """Whether this account has signed in from this address before (its owner's own computer, most likely)."""
    return session.scalar(select(AccountEvent.id).where(AccountEvent.user_id == user.id,
                                                        AccountEvent.kind == "signed_in",
                                                        AccountEvent.address == address).limit(1)) is not None


def sign_in(ctx: ServerContext, session: Session, request: SignInRequest, address: str, later: Later
            ) -> TokenPair | TwoFactorRequired:
    """Checks the password (rate-limited per address, per account and address, and per account); returns tokens,
    or a ticket for the second step when two-factor sign-in is on."""
    email = normalise_email(request.email)
    limiter = ctx.limiter
    pair_key = f"{email}|{address}"
    try:
        limiter.enforce(ratelimit.SIGN_IN_PER_ADDRESS, address)
        # Counted as failures until the password proves right, so parallel guesses cannot outrun the limit.
        limiter.enforce(ratelimit.SIGN_IN_FAILURES_PER_ACCOUNT_ADDRESS, pair_key)
    except ratelimit.RateLimitExceeded:
        SIGN_INS.labels("rate_limited").inc()
        raise
    user = find_user_by_email(session, email)
    account_verdict = limiter.hit(ratelimit.SIGN_IN_FAILURES_PER_ACCOUNT, email)
    if not account_verdict.allowed and (user is None or not _signed_in_from(session, user, address)):
        # Guesses spread over many addresses: only addresses the account has signed in from before get through,
        # so an attack cannot lock the owner out of their own computer.
        SIGN_INS.labels("rate_limited").inc()
        raise ratelimit.RateLimitExceeded(account_verdict.retry_after)
    if not ctx.passwords.verify(user.password_hash if user else None, request.password) or user is None:
        SIGN_INS.labels("wrong_password").inc()
        if user is not None:  # recorded after the response, so a known address takes no longer to refuse
            user_id = user.id
            later(lambda: _record_failure(ctx, user_id, "sign_in_failed", address))
        raise unauthorised(WRONG_CREDENTIALS)
    limiter.clear(ratelimit.SIGN_IN_FAILURES_PER_ACCOUNT_ADDRESS, pair_key)
    limiter.release(ratelimit.SIGN_IN_FAILURES_PER_ACCOUNT, email)
    if user.disabled_at is not None:
        SIGN_INS.labels("disabled").inc()
        raise ServiceError(403, "This account has been disabled; contact the server's operator.")
    if ctx.passwords.needs_rehash(user.password_hash):
        user.password_hash = ctx.passwords.hash(request.password)
    if user.totp_enabled_at is not None:
        lifetime = timedelta(minutes=ctx.settings.mfa_ticket_minutes)
        extra = {"device_name": request.device_name, "client_id": request.client_id,
                 "pwd": _password_fingerprint(user)}
        ticket, _ = ctx.signer.issue(MFA_TICKET, user.id, lifetime=lifetime, extra=extra)
        SIGN_INS.labels("two_factor_required").inc()
        return TwoFactorRequired(ticket=ticket, expires_in=int(lifetime.total_seconds()))
    return start_device(ctx, session, user, name=request.device_name, client_id=request.client_id,
                        address=address)


def sign_in_second_step(ctx: ServerContext, session: Session, request: TwoFactorSignInRequest,
                        address: str) -> TokenPair:
    """Finishes a two-factor sign-in with an authenticator code or a recovery code."""
    claims = ctx.signer.verify(request.ticket, MFA_TICKET)
    if claims is None:
        raise unauthorised("The sign-in ticket is not valid or has expired; sign in with your password again.")
    ctx.limiter.enforce(ratelimit.TWO_FACTOR_PER_ADDRESS, address)
    ctx.limiter.enforce(ratelimit.TWO_FACTOR_FAILURES_PER_ACCOUNT, claims.user_id)  # taken back when right
    user = session.get(User, claims.user_id, with_for_update=not ctx.database.is_sqlite)
    if (user is None or user.totp_enabled_at is None or user.disabled_at is not None
            or claims.extra.get("pwd") != _password_fingerprint(user)):
        raise unauthorised("The sign-in ticket is no longer valid; sign in with your password again.")
    if not two_factor.accept_code(session, user, request.code):
        user_id = user.id
        session.rollback()
        record_event(session, user_id, "two_factor_failed", address=address)
        session.commit()
        SIGN_INS.labels("wrong_code").inc()
        raise unauthorised("The code is wrong or was already used.")
    ctx.limiter.release(ratelimit.TWO_FACTOR_FAILURES_PER_ACCOUNT, user.id)
    name = claims.extra.get("device_name")
    client_id = claims.extra.get("client_id")
    return start_device(ctx, session, user, name=name if isinstance(name, str) else "OET Desktop",
                        client_id=client_id if isinstance(client_id, str) else None, address=address)


def refresh(ctx: ServerContext, session: Session, presented: str, address: str) -> TokenPair:
    """Replaces a refresh token with a new one (and a new access token). Reuse of a replaced token revokes
    the device, so a stolen token stops working for thief and owner alike."""
    ctx.limiter.enforce(ratelimit.REFRESH_PER_ADDRESS, address)
    query = select(RefreshToken).where(RefreshToken.token_hash == token_digest(presented))
    if not ctx.database.is_sqlite:
        query = query.with_for_update()
    token = session.scalar(query)
    if token is None:
        raise unauthorised("This refresh token is not valid; sign in again.")
    device = session.get(Device, token.device_id)
    now = utcnow()
    if device is None or device.revoked_at is not None:
        raise unauthorised("This device has been signed out; sign in again.")
    if device.user.disabled_at is not None:
        raise ServiceError(403, "This account has been disabled; contact the server's operator.")
    if token.expires_at <= now:
        raise unauthorised("This refresh token has expired; sign in again.")
    if token.used_at is not None:
        successor = session.get(RefreshToken, token.replaced_by_id) if token.replaced_by_id else None
        if successor is None or successor.used_at is not None or now - token.used_at > REFRESH_REUSE_GRACE:
            device.revoked_at = now
            device.revoked_reason = "refresh_token_reused"
            record_event(session, device.user_id, "refresh_token_reused", address=address, detail=device.name)
            session.commit()
            raise unauthorised("This refresh token was already used, so this device has been signed out to "
                               "protect the account; sign in again.")
        successor.used_at = now  # the lost answer's token is retired unused
    else:
        claimed = session.execute(update(RefreshToken).where(RefreshToken.id == token.id,
                                                             RefreshToken.used_at.is_(None))
                                  .values(used_at=now)).rowcount  # type: ignore[attr-defined]
        if claimed != 1:
            raise ServiceError(409, "This refresh token is being used by another request; try again.")
    pair = _issue(ctx, session, device)
    token.replaced_by_id = session.scalar(select(RefreshToken.id)
                                          .where(RefreshToken.token_hash == token_digest(pair.refresh_token)))
    device.last_seen_at = now
    device.last_address = address
    return pair


def authenticate(ctx: ServerContext, session: Session, access_token: str) -> SignedInDevice:
    """The account and device behind an access token; 401 once the device is signed out or the token expired."""
    claims = ctx.signer.verify(access_token, ACCESS)
    if claims is None or claims.device_id is None:
        raise unauthorised()
    device = session.get(Device, claims.device_id)
    if device is None or device.revoked_at is not None or device.user_id != claims.user_id:
        raise unauthorised("This device has been signed out; sign in again.")
    user = device.user
    if user.disabled_at is not None:
        raise ServiceError(403, "This account has been disabled; contact the server's operator.")
    now = utcnow()
    if now - device.last_seen_at > LAST_SEEN_RESOLUTION:
        device.last_seen_at = now
    return SignedInDevice(user=user, device=device)


def sign_out(session: Session, signed_in: SignedInDevice, address: str) -> None:
    """Signs out the device making the request."""
    signed_in.device.revoked_at = utcnow()
    signed_in.device.revoked_reason = "signed_out"
    record_event(session, signed_in.user.id, "signed_out", address=address, detail=signed_in.device.name)


def list_devices(session: Session, user: User) -> list[Device]:
    """The account's signed-in devices, most recently seen first."""
    return list(session.scalars(select(Device).where(Device.user_id == user.id, Device.revoked_at.is_(None))
                                .order_by(Device.last_seen_at.desc())))


def revoke_device(session: Session, user: User, device_id: str, address: str) -> None:
    """Signs out one of the account's own devices; another account's device is 'not found'."""
    device = session.scalar(select(Device).where(Device.id == device_id, Device.user_id == user.id,
                                                 Device.revoked_at.is_(None)))
    if device is None:
        raise ServiceError(404, "There is no signed-in device with this id on your account.")
    device.revoked_at = utcnow()
    device.revoked_reason = "revoked"
    record_event(session, user.id, "device_revoked", address=address, detail=device.name)
