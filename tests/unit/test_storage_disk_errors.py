"""A full disk and a read-only disk, for real: the profile lives on a small tmpfs mounted for the test (which
needs root, as CI has). Each gives a clear error naming the file, and everything saved before is still there."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.reports.atomic import SaveError
from oet_desktop.core.storage.archive import export_archive
from oet_desktop.core.storage.database import StorageError, integrity_problems
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.segments import to_pcm
from oet_desktop.core.storage.worker import StorageThread

KEY = DatabaseKey(raw=bytes(range(32)))




@pytest.fixture
def small_disk(mount_tmpfs: Callable[[str], Path]) -> Path:
    """A 6 MB disk."""
    return mount_tmpfs("6m")


def _record(seconds: float, seed: int) -> SessionRecord:
    noise = np.random.default_rng(seed).standard_normal(int(seconds * 16_000)).astype(np.float32) * 0.05
    record = SessionRecord("nursing-catheter-care-home", "practice", "half_duplex", {},
                           started_at=f"2026-11-{seed + 1:02d}T09:00:00+00:00")
    record.turns.append(TurnRecord(0, "How is the catheter?", 0.0, 2.0, [], "fact", None, "asked", "Fine.",
                                   "scripted", None, 2.5, 1.0))
    record.candidate_audio.append((0.0, noise))
    return record


def _sessions(path: Path) -> list[str]:
    storage = StorageThread(path, KEY)
    try:
        assert storage.call(lambda repo: integrity_problems(repo._db)) == []
        return sorted(s.session_id for s in storage.call(lambda repo: repo.list_sessions()))
    finally:
        storage.close()


def test_a_full_disk_is_a_clear_error_and_loses_nothing_saved(small_disk: Path) -> None:
    path = small_disk / "profile.db"
    storage = StorageThread(path, KEY, create=True)
    storage.call(lambda repo: repo.save_session("kept-1", _record(30, 1), "finished"))  # about 1 MB each
    storage.call(lambda repo: repo.save_session("kept-2", _record(30, 2), "finished"))
    with pytest.raises(StorageError, match="the disk is full") as caught:
        storage.call(lambda repo: repo.save_session("too-big", _record(240, 3), "finished"))  # about 7.7 MB
    assert str(path) in caught.value.paragraph()
    assert "nothing saved before was lost" in caught.value.paragraph()
    journal = SessionJournal(storage, "live", _record(240, 4))  # a role-play whose audio no longer fits
    with pytest.raises(StorageError, match="the disk is full"):
        journal.finish("finished")
    storage.call(lambda repo: repo.save_session("small-after", _record(5, 5), "finished"))  # the store still works
    storage.close()
    assert _sessions(path) == ["kept-1", "kept-2", "small-after"]
    reopened = StorageThread(path, KEY)
    try:
        with pytest.raises(SaveError, match="the disk is full"):
            export_archive(reopened, small_disk / "export.zip")
    finally:
        reopened.close()
    assert not [p for p in small_disk.iterdir() if "export" in p.name]  # no half-written archive
    assert _sessions(path) == ["kept-1", "kept-2", "small-after"]


def test_a_read_only_disk_is_a_clear_error_and_loses_nothing_saved(small_disk: Path) -> None:
    path = small_disk / "profile.db"
    storage = StorageThread(path, KEY, create=True)
    storage.call(lambda repo: repo.save_session("kept", _record(10, 1), "finished"))
    storage.close()
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(StorageError, match="read-only") as caught:
        StorageThread(path, KEY)
    assert str(path) in caught.value.paragraph()
    with pytest.raises(StorageError, match="read-only"):
        StorageThread(small_disk / "new" / "profile.db", KEY, create=True)
    subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    assert _sessions(path) == ["kept"]


def test_a_role_play_saved_while_the_disk_fills_keeps_every_sample_once_space_is_freed(small_disk: Path) -> None:
    path = small_disk / "profile.db"
    storage = StorageThread(path, KEY, create=True)
    record = _record(0, 1)
    record.candidate_audio.clear()
    rng = np.random.default_rng(7)
    blocks = [(n * 0.03, (0.05 * rng.standard_normal(480)).astype(np.float32)) for n in range(4000)]  # 120 s
    journal = SessionJournal(storage, "live", record)
    ballast = small_disk / "ballast"
    for part in range(4):
        record.candidate_audio.extend(blocks[part * 1000:(part + 1) * 1000])
        if part == 1:  # another program fills the disk mid role-play
            with ballast.open("wb") as handle, contextlib.suppress(OSError):
                while True:
                    handle.write(b"\0" * 65536)
        if part == 3:  # and frees it again
            ballast.unlink()
        journal.checkpoint()
        journal._collect(wait=True)  # let each save land before the next turn (as a real turn's length does)
        if part in (1, 2):
            assert isinstance(journal.last_error, StorageError)
    journal.finish("finished")
    saved = storage.call(lambda repo: repo.track("live", "candidate", 16_000))
    expected = to_pcm(np.concatenate([b for _, b in blocks]))
    assert saved is not None
    assert np.array_equal(saved, expected)  # every sample once: none lost, none doubled
    storage.close()
