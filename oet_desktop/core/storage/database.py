"""Opening a profile's SQLCipher database: key, WAL mode, wrong-key and damaged-file detection, re-keying."""

from __future__ import annotations

import errno
import logging
from pathlib import Path
from typing import Any

import sqlcipher3

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.keys import DatabaseKey

log = logging.getLogger(__name__)

Connection = Any
"""A ``sqlcipher3.Connection`` (the package ships no type information)."""


class WrongKey(UserFacingError):
    """The key or passphrase does not open the database."""


class StorageError(UserFacingError):
    """The database could not be written or read (disk full, read-only folder, damage)."""


def storage_error(path: Path, error: Exception) -> StorageError:
    """A :class:`StorageError` saying what went wrong with the database at ``path`` and what to do."""
    text = str(error).lower()
    if (isinstance(error, OSError) and error.errno == errno.ENOSPC) or "full" in text:
        return StorageError(f"Your practice data could not be saved in {path}: the disk is full.",
                            "Free some disk space and try again; nothing saved before was lost.")
    if (isinstance(error, OSError) and error.errno in (errno.EACCES, errno.EPERM, errno.EROFS)) or "readonly" in text \
            or "read-only" in text or "unable to open" in text:
        return StorageError(f"Your practice data could not be written in {path}: the folder is read-only or not "
                            "yours.", "Check the folder's permissions (or free the disk) and try again; nothing "
                                      "saved before was lost.")
    return StorageError(f"Your practice data in {path} could not be used ({error}).",
                        "Try again; if it keeps happening, export your data from a backup or contact support.")


DEFAULT_PAGE_SIZE = 4096
"""SQLCipher's default page size (profiles made before ``profile.json`` recorded one use it)."""
NEW_PAGE_SIZE = 16384
"""New profiles use 16 KiB pages: a role-play's audio is megabytes, and bigger pages encrypt it faster."""

WAL_CHECKPOINT_PAGES = 4096
"""Fold the write-ahead log into the database after this many pages (a role-play's audio is thousands of
pages; the default 1,000 would fold mid-save)."""
WAL_SIZE_LIMIT = 64 * 1024 * 1024
"""Bytes the emptied write-ahead log is cut back to."""


def open_database(path: Path, key: DatabaseKey, create: bool = False,
                  page_size: int = DEFAULT_PAGE_SIZE) -> Connection:
    """Open (or with ``create``, create) the database at ``path`` with ``key`` and SQLCipher page size
    ``page_size`` (fixed when the file is created). A wrong key raises :class:`WrongKey` and leaves the file
    untouched."""
    if not create and not path.is_file():
        raise UserFacingError(f"There is no profile database at {path}.", "Create a profile first.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlcipher3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=True)
    except (OSError, sqlcipher3.Error) as error:
        raise storage_error(path, error) from error
    try:
        connection.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is reported by us, in one paragraph
        connection.execute(f"PRAGMA key = {key.pragma_value()}")
        if page_size != DEFAULT_PAGE_SIZE:
            connection.execute(f"PRAGMA cipher_page_size = {int(page_size)}")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails here if the key is wrong
    except sqlcipher3.DatabaseError as error:
        connection.close()
        if "not a database" in str(error) or "encrypted" in str(error):
            raise WrongKey(f"The {'passphrase' if key.mode == 'passphrase' else 'key'} does not open {path}.",
                           "Check the passphrase and try again; the file has not been changed.") from error
        raise storage_error(path, error) from error
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlcipher3.Error as error:
        connection.close()
        raise storage_error(path, error) from error
    return connection


def rekey(connection: Connection, new_key: DatabaseKey) -> None:
    """Re-encrypt the database under a new key (switch keyring ↔ passphrase, or change the passphrase)."""
    connection.execute(f"PRAGMA rekey = {new_key.pragma_value()}")


def integrity_problems(connection: Connection) -> list[str]:
    """Problems found by ``PRAGMA integrity_check`` and ``PRAGMA cipher_integrity_check`` (empty when sound)."""
    problems = [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()
                if str(row[0]) != "ok"]
    problems += [str(row[0]) for row in connection.execute("PRAGMA cipher_integrity_check").fetchall()]
    return problems
