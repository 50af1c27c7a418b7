"""The storage thread: the one thread that owns the profile's database connection (an SQLCipher connection is
not shared across threads). Everything else submits work and gets a future back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import sqlcipher3

from oet_desktop.core.storage.database import (
    DEFAULT_PAGE_SIZE,
    Connection,
    ensure_incremental_vacuum,
    open_database,
    rekey,
)
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.migrations import migrate
from oet_desktop.core.storage.repository import ProfileRepository

log = logging.getLogger(__name__)
T = TypeVar("T")


class StorageThread:
    """Opens (or creates and migrates) the database on its own thread and runs repository calls there."""

    def __init__(self, path: Path, key: DatabaseKey, create: bool = False, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.path = path
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage")
        self._connection: Connection | None = None
        self._repository: ProfileRepository | None = None
        try:
            self._executor.submit(self._open, path, key, create, page_size).result()  # errors (wrong key…) surface here
        except BaseException:
            self._executor.shutdown()
            raise

    def _open(self, path: Path, key: DatabaseKey, create: bool, page_size: int) -> None:
        self._connection = open_database(path, key, create=create, page_size=page_size)
        try:
            migrate(self._connection)
            ensure_incremental_vacuum(self._connection, path)
        except BaseException:
            self._connection.close()
            self._connection = None
            raise
        self._repository = ProfileRepository(self._connection)

    def submit(self, work: Callable[[ProfileRepository], T]) -> Future[T]:
        """Run ``work(repository)`` on the storage thread."""
        def run() -> T:
            assert self._repository is not None
            return work(self._repository)

        return self._executor.submit(run)

    def call(self, work: Callable[[ProfileRepository], T]) -> T:
        """Run ``work`` on the storage thread and wait for its result (or its exception)."""
        return self.submit(work).result()

    def rekey(self, new_key: DatabaseKey) -> None:
        """Re-encrypt the database under ``new_key`` (on the storage thread)."""
        def run() -> None:
            assert self._connection is not None
            rekey(self._connection, new_key)

        self._executor.submit(run).result()

    def close(self) -> None:
        """Checkpoint the write-ahead log and close the connection, on the storage thread."""
        def shut() -> None:
            if self._connection is not None:
                try:
                    self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                except sqlcipher3.Error as error:  # e.g. a full disk: the log keeps the data, SQLite replays it
                    log.warning("the write-ahead log of %s was not folded in on close: %s", self.path, error)
                self._connection.close()
                self._connection = None

        self._executor.submit(shut).result()
        self._executor.shutdown()
