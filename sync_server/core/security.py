"""Passwords (argon2id and a policy), opaque single-use tokens, and signed access tokens (HS256 JWT)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from importlib import resources
from typing import Any, Literal

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from sync_server.models import utcnow

TokenKind = Literal["access", "mfa"]
ACCESS: TokenKind = "access"
MFA_TICKET: TokenKind = "mfa"
ALGORITHM = "HS256"


class PasswordPolicyError(ValueError):
    """A password the policy refuses, with a sentence the user can act on."""


@cache
def common_passwords() -> frozenset[str]:
    """Passwords too common to allow (lower-case), from the package's list."""
    text = resources.files("sync_server").joinpath("data/common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def check_password_policy(password: str, *, email: str, min_length: int) -> None:
    """Raises PasswordPolicyError unless ``password`` is long enough, not common and not the email address."""
    if len(password) < min_length:
        raise PasswordPolicyError(f"The password must be at least {min_length} characters long.")
    if len(password) > 256:
        raise PasswordPolicyError("The password must be at most 256 characters long.")
    lowered = password.lower()
    core = lowered.rstrip("0123456789!@#$%^&*.?_- ")
    if lowered in common_passwords() or core in common_passwords():
        raise PasswordPolicyError("This password is on the list of commonly used passwords; choose another.")
    local_part = email.split("@", 1)[0].lower()
    if len(local_part) >= 4 and local_part in lowered:
        raise PasswordPolicyError("The password must not contain your email address.")
    if len(set(password)) < 4:
        raise PasswordPolicyError("The password repeats too few different characters; choose another.")


class Passwords:
    """argon2id hashing with the configured cost; verification also says when a hash needs the new cost."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism)
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    @property
    def parameters(self) -> dict[str, int]:
        """The argon2id cost in force."""
        return {"time_cost": self._hasher.time_cost, "memory_kib": self._hasher.memory_cost,
                "parallelism": self._hasher.parallelism}

    def hash(self, password: str) -> str:
        """A new argon2id hash of ``password``."""
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        """Whether ``password`` matches. With no hash (an unknown account) it still spends the same time."""
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and stored_hash is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        """Whether the hash was made with another cost than the one in force."""
        return self._hasher.check_needs_rehash(stored_hash)


def new_opaque_token() -> str:
    """A random URL-safe token (256 bits) for refresh tokens and mailed links."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 (hex) kept instead of a token or code."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class TokenClaims:
    """What a verified access token or sign-in ticket says."""

    user_id: str
    device_id: str | None
    kind: TokenKind
    expires_at: datetime
    extra: dict[str, Any]


class TokenSigner:
    """Signs and verifies short-lived JWTs: access tokens (user and device) and second-step sign-in tickets."""

    def __init__(self, key: str) -> None:
        self._key = key

    def issue(self, kind: TokenKind, user_id: str, *, lifetime: timedelta, device_id: str | None = None,
              extra: dict[str, Any] | None = None) -> tuple[str, datetime]:
        """A token of ``kind`` and when it expires."""
        now = utcnow()
        expires = now + lifetime
        claims: dict[str, Any] = {"typ": kind, "sub": user_id, "iat": int(now.timestamp()),
                                  "exp": int(expires.timestamp()), "jti": secrets.token_hex(8), **(extra or {})}
        if device_id is not None:
            claims["sid"] = device_id
        return jwt.encode(claims, self._key, algorithm=ALGORITHM), expires

    def verify(self, token: str, kind: TokenKind) -> TokenClaims | None:
        """The claims of a valid, unexpired token of ``kind``; None for anything else."""
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], options={"require": ["exp", "sub", "typ"]})
        except jwt.PyJWTError:
            return None
        if claims.get("typ") != kind or not isinstance(claims.get("sub"), str):
            return None
        device = claims.get("sid")
        reserved = {"typ", "sub", "iat", "exp", "jti", "sid"}
        return TokenClaims(user_id=claims["sub"], device_id=device if isinstance(device, str) else None, kind=kind,
                           expires_at=datetime.fromtimestamp(claims["exp"], UTC),
                           extra={k: v for k, v in claims.items() if k not in reserved})
