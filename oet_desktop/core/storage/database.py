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
        # Deleted content (a recording the retention setting removes) is overwritten, not left in free pages.
        connection.execute("PRAGMA secure_delete = ON")
        # Free pages can be handed back to the file system (``incremental_vacuum``). Only takes effect in a file
        # with no tables yet, and must come before WAL mode writes the header; older profiles are switched once
        # by :func:`ensure_incremental_vacuum`.
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_CHECKPOINT_PAGES}")
        connection.execute(f"PRAGMA journal_size_limit = {WAL_SIZE_LIMIT}")
        connection.execute("PRAGMA foreign_keys = ON")
    except sqlcipher3.Error as error:
        connection.close()
        raise storage_error(path, error) from error
    return connection


AUTO_VACUUM_INCREMENTAL = 2
"""``PRAGMA auto_vacuum``'s value for incremental mode."""


def ensure_incremental_vacuum(connection: Connection, path: Path) -> bool:
    """Switch a profile made before auto-vacuum was on to incremental auto-vacuum, by one full VACUUM (SQLCipher
    keeps the key and page size); returns True when it did. A failure (a full disk: a VACUUM needs room for a
    copy) is logged and the profile opens as it was: deleted audio is still overwritten (``secure_delete``), the
    file just does not shrink, and the next open tries again."""
    if int(connection.execute("PRAGMA auto_vacuum").fetchone()[0]) == AUTO_VACUUM_INCREMENTAL:
        return False
    try:
        connection.execute("PRAGMA auto_vacuum = INCREMENTAL")
        connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlcipher3.Error as error:
        log.warning("could not switch %s to incremental auto-vacuum (deleted audio is still overwritten, but the "
                    "file will not shrink until this succeeds): %s", path, error)
        return False
    log.info("switched %s to incremental auto-vacuum (one-off VACUUM)", path)
    return True


def reclaim_free_pages(connection: Connection) -> int:
    """Hand every free page back to the file system (incremental vacuum) and fold the write-ahead log in, so
    the pages that held deleted data leave the file (and the log's older copies of them go too). Returns the
    bytes the database shrank by. Call outside a transaction."""
    page_size = int(connection.execute("PRAGMA page_size").fetchone()[0])
    before = int(connection.execute("PRAGMA page_count").fetchone()[0])
    connection.execute("PRAGMA incremental_vacuum").fetchall()  # fetchall: the pragma frees a page per step
    after = int(connection.execute("PRAGMA page_count").fetchone()[0])
    busy = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy and busy[0]:
        log.warning("the write-ahead log could not be folded in after freeing space (busy); the next checkpoint "
                    "folds it in")
    return (before - after) * page_size


def rekey(connection: Connection, new_key: DatabaseKey) -> None:
    """Re-encrypt the database under a new key (switch keyring ↔ passphrase, or change the passphrase)."""
    connection.execute(f"PRAGMA rekey = {new_key.pragma_value()}")


def integrity_problems(connection: Connection) -> list[str]:
    """Problems found by ``PRAGMA integrity_check`` and ``PRAGMA cipher_integrity_check`` (empty when sound)."""
    problems = [str(row[0]) for row in connection.execute("PRAGMA integrity_check").fetchall()
                if str(row[0]) != "ok"]
    problems += [str(row[0]) for row in connection.execute("PRAGMA cipher_integrity_check").fetchall()]
    return problems
