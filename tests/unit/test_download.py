"""Model downloads against a local HTTP server: progress, resume with Range, checksum, clear failures."""

from __future__ import annotations

import errno
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest

from oet_desktop.core.errors import ModelCorruptError
from oet_desktop.core.models.catalog import parse_catalog
from oet_desktop.core.models.checksums import ChecksumCache
from oet_desktop.core.models.download import DownloadError, DownloadProgress
from oet_desktop.core.models.installer import install_model
from oet_desktop.core.models.registry import ModelRegistry
from tests.helpers import file_server

WEIGHTS = bytes(range(256)) * 4096  # 1 MiB


def _registry(tmp_path: Path, url: str, sha: str | None = None) -> ModelRegistry:
    raw = {"models": [{
        "id": "big-llm", "role": "llm", "name": "Big", "tier": "recommended", "licence": "MIT",
        "hardware": {"min_ram_gb": 8, "gpu": "recommended"}, "source": {"homepage": "https://example.org"},
        "main": "big.gguf",
        "files": [{"path": "big.gguf", "size": len(WEIGHTS), "url": url,
                   "sha256": sha or hashlib.sha256(WEIGHTS).hexdigest()}],
    }]}
    return ModelRegistry(parse_catalog(raw, "test"), tmp_path / "models", ChecksumCache(None))


def test_download_shows_progress_and_installs_a_verified_model(tmp_path: Path) -> None:
    with file_server({"/big.gguf": WEIGHTS}) as (url, _log), httpx.Client() as client:
        registry = _registry(tmp_path, url("/big.gguf"))
        progress: list[DownloadProgress] = []
        resolved = install_model(registry, registry.entry("big-llm"), client, progress.append)
    assert resolved.main_path.read_bytes() == WEIGHTS
    assert progress[-1].done_bytes == progress[-1].total_bytes == len(WEIGHTS)
    assert registry.status("big-llm").verified


def test_an_interrupted_download_resumes_from_where_it_stopped(tmp_path: Path) -> None:
    with file_server({"/big.gguf": WEIGHTS}, cut_after=300_000) as (url, log), httpx.Client() as client:
        registry = _registry(tmp_path, url("/big.gguf"))
        entry = registry.entry("big-llm")
        with pytest.raises(DownloadError, match="Run the same command again: it resumes"):
            install_model(registry, entry, client)
        part = tmp_path / "models" / "big-llm" / "big.gguf.part"
        kept = part.stat().st_size
        assert 0 < kept <= 300_000
        assert not (tmp_path / "models" / "big-llm" / "big.gguf").exists()
        assert registry.status("big-llm").present is False
        install_model(registry, entry, client)
    assert log[-1]["range"] == f"bytes={kept}-"  # only the missing bytes were asked for
    assert (tmp_path / "models" / "big-llm" / "big.gguf").read_bytes() == WEIGHTS
    assert not part.exists()


def test_a_download_with_the_wrong_checksum_is_discarded(tmp_path: Path) -> None:
    with file_server({"/big.gguf": WEIGHTS}) as (url, _log), httpx.Client() as client:
        registry = _registry(tmp_path, url("/big.gguf"), sha="0" * 64)
        with pytest.raises(ModelCorruptError, match="does not match its SHA-256"):
            install_model(registry, registry.entry("big-llm"), client)
    folder = tmp_path / "models" / "big-llm"
    assert list(folder.iterdir()) == []


def test_a_missing_file_on_the_server_says_which_and_what_to_do(tmp_path: Path) -> None:
    with file_server({}) as (url, _log), httpx.Client() as client:
        registry = _registry(tmp_path, url("/big.gguf"))
        with pytest.raises(DownloadError, match="HTTP 404"):
            install_model(registry, registry.entry("big-llm"), client)


def test_repair_replaces_a_damaged_file_of_the_right_size(tmp_path: Path) -> None:
    with file_server({"/big.gguf": WEIGHTS}) as (url, log), httpx.Client() as client:
        registry = _registry(tmp_path, url("/big.gguf"))
        entry = registry.entry("big-llm")
        install_model(registry, entry, client)
        final = tmp_path / "models" / "big-llm" / "big.gguf"
        damaged = bytearray(WEIGHTS)
        damaged[1000] ^= 0xFF
        final.write_bytes(bytes(damaged))
        assert not registry.status("big-llm").verified
        install_model(registry, entry, client)
    assert len(log) == 2  # fetched again, not skipped because the size matched
    assert final.read_bytes() == WEIGHTS


class _DiskFillsUp:
    """A ``.part`` file on a disk that fills up once ``room`` bytes have been written to it."""

    def __init__(self, out: Any, room: int) -> None:
        self._out, self._room, self.written = out, room, 0

    def write(self, data: bytes) -> int:
        if self.written + len(data) > self._room:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.written += len(data)
        return self._out.write(data)

    def __enter__(self) -> _DiskFillsUp:
        return self

    def __exit__(self, *exc: object) -> None:
        self._out.close()


def test_a_full_disk_keeps_the_partial_file_and_says_what_to_do(tmp_path: Path, monkeypatch) -> None:
    real_open = Path.open
    disks: list[_DiskFillsUp] = []

    def open_on_a_small_disk(path: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        out = real_open(path, mode, *args, **kwargs)
        if path.name.endswith(".part") and ("w" in mode or "a" in mode):
            disks.append(_DiskFillsUp(out, room=200_000))
            return disks[-1]
        return out

    with file_server({"/big.gguf": WEIGHTS}) as (url, log), httpx.Client() as client:
        registry = _registry(tmp_path, url("/big.gguf"))
        entry = registry.entry("big-llm")
        monkeypatch.setattr(Path, "open", open_on_a_small_disk)
        with pytest.raises(DownloadError) as caught:
            install_model(registry, entry, client)
        monkeypatch.undo()  # space freed
        part = tmp_path / "models" / "big-llm" / "big.gguf.part"
        kept = disks[0].written
        assert 0 < kept <= 200_000
        assert part.read_bytes() == WEIGHTS[:kept]  # every byte received before the disk filled up
        assert not (tmp_path / "models" / "big-llm" / "big.gguf").exists()
        assert "No space left on device" in caught.value.paragraph()
        assert "Free some disk space" in caught.value.paragraph()
        install_model(registry, entry, client)
    assert log[-1]["range"] == f"bytes={kept}-"  # the next run resumes from the partial file
    assert (tmp_path / "models" / "big-llm" / "big.gguf").read_bytes() == WEIGHTS
    assert not part.exists()
