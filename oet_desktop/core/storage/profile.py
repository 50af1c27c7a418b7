"""A profile on disk: its folder (database plus a small non-secret ``profile.json`` saying how it is
protected), and creating, unlocking, re-protecting and erasing it. Keys come from the OS keyring or a
passphrase (the environment variable for scripts, or a prompt the caller passes in); never from plaintext."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.reports.atomic import save_error, write_atomically
from oet_desktop.core.storage.database import DEFAULT_PAGE_SIZE, NEW_PAGE_SIZE, WrongKey
from oet_desktop.core.storage.keys import (
    PASSPHRASE_ENV,
    DatabaseKey,
    KeyringEntryDamaged,
    KeyringKeys,
    KeyUnavailable,
    passphrase_key,
)
from oet_desktop.core.storage.repository import Profile, utc_now
from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger(__name__)

DEFAULT_PROFILE = "default"
DB_FILE = "profile.db"
META_FILE = "profile.json"
KEYRING, PASSPHRASE = "keyring", "passphrase"


class NoProfile(UserFacingError):
    """There is no profile at the expected place yet."""


@dataclass(frozen=True)
class ProfileLocation:
    """Where one profile lives: ``<data folder>/profiles/<name>/``."""

    folder: Path

    @classmethod
    def in_data_dir(cls, data_dir: Path, name: str = DEFAULT_PROFILE) -> ProfileLocation:
        """The named profile in the user's data folder."""
        return cls(data_dir / "profiles" / name)

    @property
    def name(self) -> str:
        """The profile's name (its folder's name; also its keyring entry)."""
        return self.folder.name

    @property
    def db_path(self) -> Path:
        """The SQLCipher database."""
        return self.folder / DB_FILE

    @property
    def meta_path(self) -> Path:
        """``profile.json``: how the database is protected (no key material)."""
        return self.folder / META_FILE

    def exists(self) -> bool:
        """True when the profile's database is there."""
        return self.db_path.is_file()

    def _meta(self) -> dict[str, object]:
        try:
            meta = json.loads(self.meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict):
                raise ValueError("not an object")
            return meta
        except (OSError, ValueError) as error:
            raise UserFacingError(f"{self.meta_path} is missing or damaged ({error}), so it is not known how the "
                                  "profile is protected.", f"If you chose a passphrase, set {PASSPHRASE_ENV} and try "
                                  "again; the database itself has not been changed.") from error

    def key_mode(self) -> str:
        """"keyring" or "passphrase", from ``profile.json``."""
        mode = self._meta().get("key_mode")
        if mode not in (KEYRING, PASSPHRASE):
            raise UserFacingError(f"{self.meta_path} names an unknown protection {mode!r}.",
                                  "Update the app; the database itself has not been changed.")
        return str(mode)

    def page_size(self) -> int:
        """The database's SQLCipher page size (profiles from before it was recorded use the default)."""
        value = self._meta().get("cipher_page_size", DEFAULT_PAGE_SIZE)
        return int(value) if isinstance(value, int) else DEFAULT_PAGE_SIZE

    def write_key_mode(self, mode: str, page_size: int | None = None) -> None:
        """Record how the database is protected, keeping its page size (written atomically)."""
        if page_size is None:
            page_size = self.page_size() if self.meta_path.is_file() else NEW_PAGE_SIZE
        data = json.dumps({"format": 1, "key_mode": mode, "cipher_page_size": page_size, "updated_at": utc_now()},
                          indent=1).encode()

        def write(stream: BinaryIO) -> None:
            stream.write(data)

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise save_error(self.folder, error) from error
        write_atomically(self.meta_path, write)


class KeySource:
    """Where keys come from: the keyring, ``OET_DESKTOP_PASSPHRASE`` in ``environ``, or ``ask`` (a prompt that
    returns what the user typed; None where nobody can answer, e.g. no terminal, so nothing ever waits)."""

    def __init__(self, keyring: KeyringKeys, environ: Mapping[str, str],
                 ask: Callable[[str], str] | None = None) -> None:
        self.keyring = keyring
        self._environ = environ
        self._ask = ask

    def given_passphrase(self) -> DatabaseKey | None:
        """The passphrase from the environment, if set."""
        value = self._environ.get(PASSPHRASE_ENV)
        return passphrase_key(value) if value else None

    def passphrase(self, purpose: str, confirm: bool = False) -> DatabaseKey | None:
        """A passphrase from the environment, else asked for (twice with ``confirm``), else None."""
        given = self.given_passphrase()
        if given is not None or self._ask is None:
            return given
        first = self._ask(f"Passphrase to {purpose}: ")
        key = passphrase_key(first)
        if confirm and self._ask("The same passphrase again: ") != first:
            raise UserFacingError("The two passphrases were different.", "Try again, typing the same one twice.")
        return key

    def new_passphrase(self, environ_name: str, purpose: str) -> DatabaseKey:
        """A new passphrase from ``environ_name`` or asked for twice; a clear error where neither can be."""
        value = self._environ.get(environ_name)
        if value:
            return passphrase_key(value)
        if self._ask is None:
            raise KeyUnavailable(f"No new passphrase was given to {purpose}.",
                                 f"Set {environ_name} (at least 8 characters), or run this in a terminal.")
        first = self._ask(f"New passphrase to {purpose}: ")
        key = passphrase_key(first)
        if self._ask("The same passphrase again: ") != first:
            raise UserFacingError("The two passphrases were different.", "Try again, typing the same one twice.")
        return key


def _no_passphrase(location: ProfileLocation) -> KeyUnavailable:
    return KeyUnavailable(f"The profile at {location.folder} is protected by a passphrase, and none was given.",
                          f"Set {PASSPHRASE_ENV} to it (scripts, headless use) or run the command in a terminal.")


def create_profile(location: ProfileLocation, keys: KeySource, owner: Profile,
                   use_passphrase: bool = False) -> StorageThread:
    """Create the encrypted profile: a random key in the keyring, or a passphrase when asked for, when one is
    given in the environment, or when there is no keyring (never silently: with neither, a clear error)."""
    if location.exists():
        raise UserFacingError(f"There is already a profile at {location.folder}.",
                              "Open it instead, or erase it first (`oet-desktop profile erase`).")
    key: DatabaseKey | None
    if use_passphrase or keys.given_passphrase() is not None or not keys.keyring.available():
        key = keys.passphrase("protect your practice data", confirm=True)
        if key is None:
            raise KeyUnavailable(
                "Your practice data needs a key: there is no system keyring here and no passphrase was given."
                if not keys.keyring.available() else "A passphrase was asked for, but none was given.",
                f"Set {PASSPHRASE_ENV} to a passphrase of at least 8 characters (scripts, headless use), or run "
                "the command in a terminal to type one.")
    else:
        key = keys.keyring.create(location.name)
    mode = KEYRING if key.mode == "keyring" else PASSPHRASE
    try:
        location.write_key_mode(mode, NEW_PAGE_SIZE)
        storage = StorageThread(location.db_path, key, create=True, page_size=NEW_PAGE_SIZE)
        storage.call(lambda repo: repo.save_profile(owner))
    except BaseException:
        _remove_files(location)
        if mode == KEYRING:
            keys.keyring.delete(location.name)
        raise
    log.info("created profile %s (%s)", location.folder, mode)
    return storage


def open_profile(location: ProfileLocation, keys: KeySource) -> StorageThread:
    """Unlock the profile. A wrong key leaves the file untouched; after an interrupted change of protection the
    other key is tried (without asking) and ``profile.json`` is corrected."""
    if not location.exists():
        raise NoProfile(f"There is no profile at {location.folder} yet.",
                        "Create one: `oet-desktop profile create`, or start a role-play, which creates it.")
    mode = location.key_mode()
    try:
        key = keys.keyring.get(location.name) if mode == KEYRING else keys.passphrase("unlock your practice data")
    except KeyringEntryDamaged as damaged:
        # After an interrupted switch to a passphrase the given one may open it; otherwise the damage is the news.
        given = keys.given_passphrase()
        if given is None:
            raise
        try:
            storage = StorageThread(location.db_path, given, page_size=location.page_size())
        except WrongKey:
            raise damaged from None
        location.write_key_mode(PASSPHRASE)
        log.warning("profile %s opened with its passphrase (its keyring entry is damaged); profile.json corrected",
                    location.folder)
        return storage
    if key is None and mode == KEYRING:
        other = keys.given_passphrase()
        if other is None:
            raise KeyUnavailable(f"The key of the profile at {location.folder} is not in the system keyring.",
                                 f"If you protected it with a passphrase, set {PASSPHRASE_ENV}; otherwise restore "
                                 "your last export into a new profile. The database has not been changed.")
        key = other
    if key is None:
        raise _no_passphrase(location)
    try:
        return StorageThread(location.db_path, key, page_size=location.page_size())
    except WrongKey:
        if mode == KEYRING:
            fallback = keys.given_passphrase()
        else:
            try:
                fallback = keys.keyring.get(location.name) if keys.keyring.available() else None
            except KeyringEntryDamaged:  # a leftover entry: the wrong passphrase is what to report
                fallback = None
        if fallback is None or fallback == key:
            raise
        # raises WrongKey again if this key fails too
        storage = StorageThread(location.db_path, fallback, page_size=location.page_size())
        location.write_key_mode(KEYRING if fallback.mode == "keyring" else PASSPHRASE)
        log.warning("profile %s opened with its %s; profile.json corrected", location.folder, fallback.mode)
        return storage


def protect_with_passphrase(storage: StorageThread, location: ProfileLocation, keys: KeyringKeys,
                            new_key: DatabaseKey) -> None:
    """Re-key to a (new) passphrase; a keyring key is removed from the keyring afterwards."""
    was = location.key_mode()
    storage.rekey(new_key)
    location.write_key_mode(PASSPHRASE)
    if was == KEYRING:
        keys.delete(location.name)


def protect_with_keyring(storage: StorageThread, location: ProfileLocation, keys: KeyringKeys) -> None:
    """Re-key to a new random key kept in the keyring (the passphrase no longer opens it)."""
    new_key = keys.create(location.name)
    try:
        storage.rekey(new_key)
    except BaseException:
        keys.delete(location.name)
        raise
    location.write_key_mode(KEYRING)


def _remove_files(location: ProfileLocation) -> list[Path]:
    removed = []
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{location.db_path}{suffix}")
        if path.exists():
            path.unlink()
            removed.append(path)
    if location.meta_path.exists():
        location.meta_path.unlink()
        removed.append(location.meta_path)
    return removed


def erase_profile(location: ProfileLocation, keys: KeyringKeys, extra_folders: tuple[Path, ...] = ()) -> list[str]:
    """Erase everything: the database (its audio is inside it), ``profile.json``, the profile folder, the keyring
    entry and ``extra_folders`` (older session bundles the app wrote). Close the profile first. Returns what
    was removed."""
    removed = [str(p) for p in _remove_files(location)]
    if location.folder.exists():
        shutil.rmtree(location.folder)
        removed.append(str(location.folder))
    if keys.available() and keys.has_entry(location.name):  # a damaged entry is removed too
        keys.delete(location.name)
        removed.append(f"keyring entry {location.name!r}")
    for folder in extra_folders:
        if folder.exists():
            shutil.rmtree(folder)
            removed.append(str(folder))
    return removed
