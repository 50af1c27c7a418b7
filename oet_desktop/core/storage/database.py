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


def _storage_error(path: Path, error: Exception) -> StorageError:
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


def open_database(path: Path, key: DatabaseKey, create: bool = False) -> Connection:
    """Open (or with ``create``, create) the database at ``path`` with ``key``. A wrong key raises
    :class:`WrongKey` and leaves the file untouched."""
    if not create and not path.is_file():
        raise UserFacingError(f"There is no profile database at {path}.", "Create a profile first.")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlcipher3.connect(str(path), timeout=10.0, isolation_level=None, check_same_thread=True)
    except (OSError, sqlcipher3.Error) as error:
        raise _storage_error(path, error) from error
    try:
        connection.execute(f"PRAGMA key = {key.pragma_value()}")
        connection.execute("SELECT count(*) FROM sqlite_master").fetchone()  # fails here if the key is wrong
    except sqlcipher3.DatabaseError as error:
        connection.close()
        if "not a database" in str(error) or "encrypted" in str(error):
            raise WrongKey(f"The {'passphrase' if key.mode == 'passphrase' else 'key'} does not open {path}.",
                           "Check the passphrase and try again; the file has not been changed.") from error
        raise _storage_error(path, error) from error
    try:
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlcipher3.Error as error:
        connection.close()
        raise _storage_error(path, error) from error
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
