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


class KeyringEntryDamaged(KeyUnavailable):
    """The keyring holds an entry for the profile, but it is not a database key the app wrote."""


MIN_PRIORITY = 1.0
"""Backends below this are keyring's own stand-ins (fail: 0, null: -1) and file-based ones such as keyrings.alt's
plaintext (0.5) and "encrypted" file (0.6) keyrings: none fit to hold the database key."""
PLAINTEXT_MARKERS = ("plaintext", "unencrypted")


def _priority(backend: Any) -> float | None:
    """The backend's priority (a viable backend has one; a non-viable one may raise), or None."""
    try:
        return float(backend.priority)
    except Exception:
        return None


def _rank(priority: float | None) -> float:
    return float("-inf") if priority is None else priority


def keyring_backend_acceptable(backend: Any) -> bool:
    """Whether ``backend`` keeps secrets in a real OS store: not keyring's fail or null backends, not a
    plaintext or other keyrings.alt file backend, priority at least 1; and for a chainer, the backend it writes
    to (its first, the highest priority) must be acceptable in turn (so at least one is)."""
    from keyring.backends import chainer, fail, null

    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return False
    if isinstance(backend, chainer.ChainerBackend):
        try:
            chained = list(backend.backends)
        except Exception:
            return False
        # The chainer writes to the first backend that takes the entry, in priority order (highest first).
        chained.sort(key=lambda b: _rank(_priority(b)), reverse=True)
        return bool(chained) and keyring_backend_acceptable(chained[0])
    kind = type(backend)
    module = kind.__module__.lower()
    if module == "keyrings.alt" or module.startswith("keyrings.alt."):
        return False
    if any(marker in f"{module}.{kind.__qualname__}".lower() for marker in PLAINTEXT_MARKERS):
        return False
    priority = _priority(backend)
    return priority is not None and priority >= MIN_PRIORITY


class KeyringKeys:
    """Raw database keys in the OS keyring, one entry per profile. ``backend`` is the keyring module (passed in
    so tests can use an in-memory backend)."""

    def __init__(self, backend: Any, service: str = KEYRING_SERVICE) -> None:
        self._keyring = backend
        self._service = service

    def _entry(self, profile: str) -> str:
        return f"profile:{profile}:db-key"

    def available(self) -> bool:
        """True when a real keyring backend is present (see :func:`keyring_backend_acceptable`)."""
        try:
            backend = self._keyring.get_keyring()
        except Exception:
            return False
        return keyring_backend_acceptable(backend)

    def _stored(self, profile: str) -> object:
        try:
            return self._keyring.get_password(self._service, self._entry(profile))
        except Exception as error:
            raise KeyUnavailable(f"The system keyring could not be read ({error}).",
                                 f"Unlock your keyring, or use a passphrase (set {PASSPHRASE_ENV} for scripts).") \
                from error

    def has_entry(self, profile: str) -> bool:
        """Whether the keyring holds an entry for the profile (damaged or not)."""
        return self._stored(profile) is not None

    def get(self, profile: str) -> DatabaseKey | None:
        """The profile's key, or None if the keyring has none; :class:`KeyringEntryDamaged` if the entry is not
        a key the app wrote (64 hex digits)."""
        stored = self._stored(profile)
        if stored is None:
            return None
        what = _damage(stored)
        if what:
            raise KeyringEntryDamaged(
                f"The database key of profile {profile!r} in the system keyring (service {self._service!r}) is "
                f"damaged: {what}, not the 64 hexadecimal digits the app stores, so the profile cannot be unlocked "
                "with it.",
                f"If you also protected the profile with a passphrase, set {PASSPHRASE_ENV} to it and try again. "
                "Otherwise the profile cannot be opened: erase it (`oet-desktop profile erase`, which also removes "
                "this entry) and import your last export into a new one. The database itself has not been changed.")
        assert isinstance(stored, str)
        return DatabaseKey(raw=bytes.fromhex(stored))

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


def _damage(stored: object) -> str:
    """What is wrong with a stored key (never its value: it may be key material), or "" when it is sound."""
    if not isinstance(stored, str):
        return f"it is a {type(stored).__name__}, not text"
    if not stored:
        return "it is empty"
    if any(c not in "0123456789abcdefABCDEF" for c in stored):
        return f"it is {len(stored)} characters that are not all hexadecimal digits"
    if len(stored) != 64:
        return f"it is {len(stored)} hexadecimal digits"
    return ""
