"""The storage thread: the one thread that owns the profile's database connection (an SQLCipher connection is
not shared across threads). Everything else submits work and gets a future back."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from oet_desktop.core.storage.database import Connection, open_database
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.migrations import migrate
from oet_desktop.core.storage.repository import ProfileRepository

T = TypeVar("T")


class StorageThread:
    """Opens (or creates and migrates) the database on its own thread and runs repository calls there."""

    def __init__(self, path: Path, key: DatabaseKey, create: bool = False) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="storage")
        self._connection: Connection | None = None
        self._repository: ProfileRepository | None = None
        self._executor.submit(self._open, path, key, create).result()  # errors (wrong key…) surface here

    def _open(self, path: Path, key: DatabaseKey, create: bool) -> None:
        self._connection = open_database(path, key, create=create)
        migrate(self._connection)
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

    def close(self) -> None:
        """Checkpoint the write-ahead log and close the connection, on the storage thread."""
        def shut() -> None:
            if self._connection is not None:
                self._connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                self._connection.close()
                self._connection = None

        self._executor.submit(shut).result()
        self._executor.shutdown()
