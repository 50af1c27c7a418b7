"""The encrypted profile: create it, unlock it (with what opening always does: role-plays a crash left
unfinished are kept as interrupted, and the audio retention period is applied), protect it with a passphrase
or the keyring, set how long audio is kept, export, import and erase."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.archive import ExportSummary, export_archive, import_archive
from oet_desktop.core.storage.keys import DatabaseKey, KeyringKeys, passphrase_key
from oet_desktop.core.storage.profile import (
    KeySource,
    ProfileLocation,
    create_profile,
    erase_profile,
    open_profile,
    protect_with_keyring,
    protect_with_passphrase,
)
from oet_desktop.core.storage.repository import RETENTION_SETTING, Profile, ProfileRepository, RetentionResult
from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger(__name__)


class _TypedPassphrase(KeySource):
    """A key source whose passphrase is one typed in the window (else the environment's, else ``ask``)."""

    def __init__(self, keyring: KeyringKeys, environ: Mapping[str, str], typed: DatabaseKey | None,
                 ask: Callable[[str], str] | None) -> None:
        super().__init__(keyring, environ, ask)
        self._typed = typed

    def given_passphrase(self) -> DatabaseKey | None:
        return self._typed or super().given_passphrase()


@dataclass(frozen=True)
class OpenedProfile:
    """An unlocked profile and what opening it did."""

    storage: StorageThread
    interrupted: list[str] = field(default_factory=list)
    """Role-plays cut short earlier (a crash, a power cut), kept up to where they stopped."""
    audio_removed: int = 0
    """Role-plays whose recordings the retention period deleted on opening."""


@dataclass
class ProfileGate:
    """Where the profile is and how its key is found: the keyring (``keyring_backend`` is the keyring module),
    ``OET_DESKTOP_PASSPHRASE`` in ``environ``, a passphrase typed in the window, or ``ask`` (a terminal prompt;
    None where nobody can answer)."""

    data_dir: Path
    keyring_backend: Any
    environ: Mapping[str, str]
    ask: Callable[[str], str] | None = None

    @property
    def location(self) -> ProfileLocation:
        """The profile's folder."""
        return ProfileLocation.in_data_dir(self.data_dir)

    @property
    def keyring(self) -> KeyringKeys:
        """Keys in the system keyring."""
        return KeyringKeys(self.keyring_backend)

    def keys(self, passphrase: str | None = None) -> KeySource:
        """Where keys come from, with ``passphrase`` (typed in the window) first."""
        typed = passphrase_key(passphrase) if passphrase else None
        return _TypedPassphrase(self.keyring, self.environ, typed, self.ask)

    def exists(self) -> bool:
        """True when a profile exists (otherwise this is the first run)."""
        return self.location.exists()

    def needs_passphrase(self) -> bool:
        """True when opening needs a passphrase typed in (none is in the environment)."""
        return self.location.key_mode() == "passphrase" and not self.environ.get("OET_DESKTOP_PASSPHRASE")

    def protection(self) -> str:
        """How the profile is protected, in words."""
        return ("key in the system keyring" if self.location.key_mode() == "keyring"
                else "protected by your passphrase")

    def create(self, owner: Profile, passphrase: str | None = None, use_passphrase: bool = False) -> OpenedProfile:
        """Create the encrypted profile, protected by the keyring, or by ``passphrase`` (or the environment's or
        a prompted one with ``use_passphrase``), and unlock it."""
        typed = passphrase_key(passphrase) if passphrase else None
        keys = _TypedPassphrase(self.keyring, {} if typed else self.environ, typed, self.ask)
        storage = create_profile(self.location, keys, owner, use_passphrase=use_passphrase or typed is not None)
        return OpenedProfile(storage)

    def open(self, passphrase: str | None = None) -> OpenedProfile:
        """Unlock the profile; role-plays a crash left unfinished are kept as interrupted and the audio retention
        period is applied."""
        storage = open_profile(self.location, self.keys(passphrase))
        try:
            interrupted = storage.call(ProfileRepository.recover_interrupted)
            if interrupted:
                log.info("kept %d interrupted role-play(s)", len(interrupted))
            removed = storage.call(ProfileRepository.apply_retention).sessions
        except BaseException:
            storage.close()
            raise
        return OpenedProfile(storage, interrupted, removed)

    def erase(self) -> list[str]:
        """Delete the database, its audio and its keyring entry (the profile must be closed); what was removed."""
        return erase_profile(self.location, self.keyring, (self.data_dir / "sessions",))

    def protect_with_passphrase(self, storage: StorageThread, passphrase: str | DatabaseKey) -> None:
        """Re-key the profile with a passphrase (at least 8 characters); the keyring entry is removed."""
        key = passphrase if isinstance(passphrase, DatabaseKey) else passphrase_key(passphrase)
        protect_with_passphrase(storage, self.location, self.keyring, key)

    def protect_with_keyring(self, storage: StorageThread) -> None:
        """Re-key the profile with a random key kept in the system keyring."""
        protect_with_keyring(storage, self.location, self.keyring)


@dataclass(frozen=True)
class ProfileSummary:
    """What `profile show` and the settings page tell about the profile."""

    name: str
    profession: str
    folder: Path
    size_bytes: int
    protection: str
    sessions: int
    retention_days: int | None


def summarise(gate: ProfileGate, storage: StorageThread) -> ProfileSummary:
    """Who, where, how protected and how much."""
    owner = storage.call(ProfileRepository.profile)
    folder = gate.location.folder
    size = sum(p.stat().st_size for p in folder.iterdir() if p.is_file())
    return ProfileSummary(owner.name if owner else "(no name)", owner.profession if owner else "?", folder, size,
                          gate.protection(), storage.call(ProfileRepository.session_count),
                          storage.call(ProfileRepository.retention_days))


def parse_retention(value: str) -> int | None:
    """A number of days, or None for `off` (keep audio until deleted)."""
    if value == "off":
        return None
    if value.isdigit() and int(value) > 0:
        return int(value)
    raise UserFacingError(f"{value!r} is not a number of days.", "Give a whole number such as 30, or `off`.")


def set_retention(storage: StorageThread, days: int | None) -> RetentionResult:
    """Keep audio ``days`` days (None: until deleted) and apply it now: which role-plays lost their audio, and
    the space freed."""
    storage.call(lambda repo: repo.save_setting(RETENTION_SETTING, days))
    return storage.call(ProfileRepository.apply_retention)


def export_everything(storage: StorageThread, archive: Path, with_pdfs: bool = True) -> ExportSummary:
    """Everything in the profile as one ZIP (JSON, WAV audio and, with ``with_pdfs``, PDF reports)."""
    from oet_desktop.core.reports.session_pdf import write_session_pdf

    return export_archive(storage, archive, write_session_pdf if with_pdfs else None)


@dataclass(frozen=True)
class ImportSummary:
    """What an import added."""

    added: int
    total: int


def import_everything(storage: StorageThread, archive: Path) -> ImportSummary:
    """Add an exported archive's role-plays to the profile (all or nothing)."""
    added = import_archive(storage, archive)
    return ImportSummary(added, storage.call(ProfileRepository.session_count))


def require(storage: StorageThread | None, action: str) -> StorageThread:
    """The unlocked profile, or a clear error saying ``action`` needs it."""
    if storage is None:
        raise UserFacingError(f"Your practice data is locked, so it could not {action}.",
                              "Unlock it and try again.")
    return storage
