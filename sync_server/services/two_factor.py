"""TOTP two-factor sign-in: enrol, confirm, ten single-use recovery codes, disable."""

from __future__ import annotations

import hmac
import secrets
import time

import pyotp
import segno
from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from sync_server.core.security import token_digest
from sync_server.models import RecoveryCode, User, utcnow
from sync_server.schemas import RecoveryCodes, TwoFactorEnrolment

ISSUER = "OET Desktop"
RECOVERY_CODE_COUNT = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
STEP_SECONDS = 30


def _normalise(code: str) -> str:
    return code.replace(" ", "").replace("-", "").lower()


def new_recovery_codes(session: Session, user: User) -> RecoveryCodes:
    """Replaces the account's recovery codes with ten new ones (shown once; only digests are kept)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(user_id=user.id, code_hash=token_digest(raw)))
    return RecoveryCodes(recovery_codes=codes)


def begin_enrolment(user: User) -> TwoFactorEnrolment:
    """A new secret for the account (pending until confirmed with a code) and the URI/QR to scan."""
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step = None
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    svg = segno.make(uri, error="m").svg_inline(scale=4)
    return TwoFactorEnrolment(secret=secret, otpauth_uri=uri, qr_svg=svg)


def _accept_totp(session: Session, user: User, code: str) -> bool:
    if user.totp_secret is None or not code.isdigit() or len(code) != 6:
        return False
    totp = pyotp.TOTP(user.totp_secret)
    now_step = int(time.time()) // STEP_SECONDS
    for step in (now_step - 1, now_step, now_step + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            # A code is good once: one conditional update, so two requests racing with the same code cannot both win.
            claimed = session.execute(
                update(User).where(User.id == user.id,
                                   or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step)).rowcount  # type: ignore[attr-defined]
            return bool(claimed == 1)
    return False


def accept_code(session: Session, user: User, code: str) -> bool:
    """Whether ``code`` is a current authenticator code or an unused recovery code (which is then spent)."""
    normalised = _normalise(code)
    if _accept_totp(session, user, normalised):
        return True
    if user.totp_enabled_at is None or len(normalised) != 10:
        return False
    spent = session.execute(update(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                       RecoveryCode.code_hash == token_digest(normalised),
                                                       RecoveryCode.used_at.is_(None))
                            .values(used_at=utcnow())).rowcount  # type: ignore[attr-defined]
    return bool(spent == 1)


def confirm_enrolment(session: Session, user: User, code: str) -> RecoveryCodes | None:
    """Turns two-factor sign-in on when ``code`` matches the pending secret; None when it does not."""
    if not _accept_totp(session, user, _normalise(code)):
        return None
    user.totp_enabled_at = utcnow()
    return new_recovery_codes(session, user)


def disable(session: Session, user: User) -> None:
    """Turns two-factor sign-in off and forgets the secret and the recovery codes."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
