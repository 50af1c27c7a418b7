"""Database keys: a random 256-bit key kept in the OS keyring (passed to SQLCipher as a raw key, no KDF cost at
open), or a passphrase run through SQLCipher's own KDF. Never stored in plaintext, never a silent fallback."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

from oet_desktop.core.errors import UserFacingError

KEYRING_SERVICE = "oet-desktop"
PASSPHRASE_ENV = "OET_DESKTOP_PASSPHRASE"
"""Scripted and headless use (CI, no terminal) supplies the passphrase here."""
MIN_PASSPHRASE = 8


class KeyUnavailable(UserFacingError):
    """No key could be obtained (no keyring, no passphrase given)."""


@dataclass(frozen=True)
class DatabaseKey:
    """What unlocks a profile database: a raw 32-byte key or a passphrase."""

    raw: bytes | None = None
    passphrase: str | None = None

    def __post_init__(self) -> None:
        if (self.raw is None) == (self.passphrase is None):
            raise ValueError("give exactly one of raw or passphrase")
        if self.raw is not None and len(self.raw) != 32:
            raise ValueError("a raw key is 32 bytes")

    @property
    def mode(self) -> str:
        """"keyring" (raw key) or "passphrase"."""
        return "keyring" if self.raw is not None else "passphrase"

    def pragma_value(self) -> str:
        """The value for ``PRAGMA key`` / ``PRAGMA rekey`` (a blob literal for a raw key, a quoted string for a
        passphrase)."""
        if self.raw is not None:
            return f"\"x'{self.raw.hex()}'\""
        assert self.passphrase is not None
        return "'" + self.passphrase.replace("'", "''") + "'"

    def __repr__(self) -> str:  # never print key material
        return f"DatabaseKey(mode={self.mode!r})"


def passphrase_key(passphrase: str) -> DatabaseKey:
    """A passphrase key, checked for length."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise UserFacingError(f"The passphrase is too short ({len(passphrase)} characters).",
                              f"Use at least {MIN_PASSPHRASE} characters; a few unrelated words work well.")
    return DatabaseKey(passphrase=passphrase)


def passphrase_from_environment() -> DatabaseKey | None:
    """The passphrase in ``OET_DESKTOP_PASSPHRASE``, if set."""
    value = os.environ.get(PASSPHRASE_ENV)
    return passphrase_key(value) if value else None


class KeyringKeys:
    """Raw database keys in the OS keyring, one entry per profile. ``backend`` is the keyring module (passed in
    so tests can use an in-memory backend)."""

    def __init__(self, backend: Any, service: str = KEYRING_SERVICE) -> None:
        self._keyring = backend
        self._service = service

    def _entry(self, profile: str) -> str:
        return f"profile:{profile}:db-key"

    def available(self) -> bool:
        """True when a real keyring backend is present (not the "fail" or plaintext backends)."""
        try:
            backend = self._keyring.get_keyring()
        except Exception:
            return False
        name = f"{type(backend).__module__}.{type(backend).__name__}".lower()
        priority = getattr(backend, "priority", 1)
        return not any(bad in name for bad in ("fail", "null", "plaintext")) and priority > 0

    def get(self, profile: str) -> DatabaseKey | None:
        """The profile's key, or None if the keyring has none."""
        try:
            stored = self._keyring.get_password(self._service, self._entry(profile))
        except Exception as error:
            raise KeyUnavailable(f"The system keyring could not be read ({error}).",
                                 f"Unlock your keyring, or use a passphrase (set {PASSPHRASE_ENV} for scripts).") \
                from error
        return DatabaseKey(raw=bytes.fromhex(stored)) if stored else None

    def create(self, profile: str) -> DatabaseKey:
        """A new random 256-bit key, stored in the keyring before it is used."""
        if not self.available():
            raise KeyUnavailable("There is no system keyring on this computer to keep the database key in.",
                                 f"Protect your profile with a passphrase instead (set {PASSPHRASE_ENV} for scripts).")
        key = DatabaseKey(raw=secrets.token_bytes(32))
        assert key.raw is not None
        self._keyring.set_password(self._service, self._entry(profile), key.raw.hex())
        return key

    def delete(self, profile: str) -> None:
        """Remove the profile's key from the keyring (part of "erase everything")."""
        try:
            self._keyring.delete_password(self._service, self._entry(profile))
        except Exception as error:
            if "not found" not in str(error).lower() and type(error).__name__ != "PasswordDeleteError":
                raise
