"""SHA-256 of files, cached by (size, mtime) so that verifying models at start-up stays fast."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path

log = logging.getLogger(__name__)

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """The SHA-256 hex digest of a file's contents."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class ChecksumCache:
    """Digests remembered in a JSON file, reused while a file's size and modification time are unchanged.

    ``cache_file=None`` keeps the cache in memory only.
    """

    def __init__(self, cache_file: Path | None) -> None:
        self._file = cache_file
        self._lock = threading.Lock()
        self._entries: dict[str, dict[str, int | str]] = self._read()
        self.hits = 0
        self.misses = 0

    def digest(self, path: Path) -> str:
        """The file's SHA-256, from the cache when the file has not changed since it was hashed."""
        stat = path.stat()
        key = str(path.resolve())
        with self._lock:
            cached = self._entries.get(key)
        if cached and cached.get("size") == stat.st_size and cached.get("mtime_ns") == stat.st_mtime_ns:
            self.hits += 1
            return str(cached["sha256"])
        self.misses += 1
        value = sha256_file(path)
        with self._lock:
            self._entries[key] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": value}
            self._write()
        return value

    def forget(self, path: Path) -> None:
        """Drop a file's cached digest (after it is replaced)."""
        with self._lock:
            if self._entries.pop(str(path.resolve()), None) is not None:
                self._write()

    def _read(self) -> dict[str, dict[str, int | str]]:
        if self._file is None or not self._file.exists():
            return {}
        try:
            data = json.loads(self._file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            log.warning("checksum cache %s unreadable; starting afresh", self._file)
            return {}
        return data if isinstance(data, dict) else {}

    def _write(self) -> None:
        if self._file is None:
            return
        try:
            self._file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self._file.with_suffix(".tmp")
            tmp.write_text(json.dumps(self._entries, indent=0), encoding="utf-8")
            os.replace(tmp, self._file)
        except OSError as exc:  # a cache that cannot be written only costs speed
            log.warning("checksum cache %s not written: %s", self._file, exc)
