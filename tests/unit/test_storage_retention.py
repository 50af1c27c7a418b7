"""Audio deleted by the retention setting leaves the profile's file: SQLCipher with ``secure_delete`` and an
incremental vacuum, on new profiles and on profiles made before auto-vacuum was switched on."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.storage.database import DEFAULT_PAGE_SIZE, NEW_PAGE_SIZE, open_database
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.migrations import migrate
from oet_desktop.core.storage.repository import RETENTION_SETTING, ProfileRepository
from oet_desktop.core.storage.worker import StorageThread
from tests.fixtures.storage.make_v1_fixture import V1_PASSPHRASE

KEY = DatabaseKey(raw=bytes(range(32)))
NOW = datetime(2026, 11, 26, tzinfo=UTC)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "storage"
PATTERN = np.tile(np.array([0.5, -0.25, 0.125, -0.0625, 0.75, -0.5, 0.0, 0.3], dtype=np.float32), 2_000)
"""A distinctive PCM pattern (16,000 samples: one second at 16 kHz)."""


def _record(day: str, seconds: int = 20) -> SessionRecord:
    record = SessionRecord("nursing-catheter-care-home", "practice", "half_duplex", {"stt": "whisper-tiny.en"},
                           started_at=f"{day}T09:00:00+00:00")
    for index in range(3):
        record.turns.append(TurnRecord(index, f"candidate turn {index}", index * 60.0, index * 60.0 + 4.0, [],
                                       "fact", None, "asked", f"patient reply {index}", "scripted", None,
                                       index * 60.0 + 5.0, 3.0))
        record.candidate_audio.append((index * 60.0, np.tile(PATTERN, seconds)))
        record.patient_audio.append((index * 60.0 + 30.0, np.tile(PATTERN, seconds)[: 22_050 * 5], 22_050))
    return record


def _pragma(storage: StorageThread, name: str) -> int:
    return int(storage.call(lambda repo: repo._db.execute(f"PRAGMA {name}").fetchone()[0]))


def _audio_bytes(storage: StorageThread, session_id: str) -> int:
    return int(storage.call(lambda repo: repo._db.execute(
        "SELECT coalesce(sum(length(pcm)), 0) FROM audio_segments WHERE session_id = ?", (session_id,)
    ).fetchone()[0]))


@pytest.mark.parametrize("page_size", [DEFAULT_PAGE_SIZE, NEW_PAGE_SIZE])
def test_retention_removes_the_deleted_audio_from_the_file(tmp_path: Path, page_size: int) -> None:
    """Why this proves the audio is gone: the file is encrypted, so a byte search could never see the PCM pattern
    either way; what matters is where the pages that held it went. With ``secure_delete`` on (the pragma reads 1
    on the app's connection), SQLite overwrites deleted content with zeros before the pages are freed, and the
    incremental vacuum then moves the remaining pages down and truncates the file: ``freelist_count`` is 0 (no
    free page, zeroed or not, is left anywhere in the database), the page count and the file on disk shrink by
    at least the audio's size, and the write-ahead log (which held earlier copies of those pages) is
    checkpointed and cut to nothing. So no page of the file still holds the deleted recording, not even in
    encrypted form, while the audio that was kept reads back intact."""
    path = tmp_path / "profile.db"
    storage = StorageThread(path, KEY, create=True, page_size=page_size)
    try:
        for session_id, day in (("old", "2026-10-01"), ("new", "2026-11-25")):
            storage.call(lambda repo, s=session_id, d=day: repo.save_session(s, _record(d), "finished"))
        storage.call(lambda repo: repo.save_setting(RETENTION_SETTING, 30))
        assert _pragma(storage, "secure_delete") == 1
        assert _pragma(storage, "auto_vacuum") == 2  # incremental
        storage.call(lambda repo: repo._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
        old_audio = _audio_bytes(storage, "old")
        assert old_audio > 3 * 20 * 16_000 * 2
        pages_before = _pragma(storage, "page_count")
        size_before = path.stat().st_size
        kept = storage.call(lambda repo: repo.track("new", "candidate", 16_000))

        result = storage.call(lambda repo: repo.apply_retention(NOW))

        assert result == 1  # still reads as the number of sessions, for existing callers
        assert result.sessions == 1
        assert result.bytes_freed >= old_audio
        assert _audio_bytes(storage, "old") == 0
        assert _pragma(storage, "freelist_count") == 0
        assert (pages_before - _pragma(storage, "page_count")) * page_size == result.bytes_freed
        assert path.stat().st_size <= size_before - old_audio
        wal = Path(f"{path}-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        assert np.array_equal(storage.call(lambda repo: repo.track("new", "candidate", 16_000)), kept)
        again = storage.call(lambda repo: repo.apply_retention(NOW))
        assert (again.sessions, again.bytes_freed) == (0, 0)
    finally:
        storage.close()
    reopened = StorageThread(path, KEY, page_size=page_size)
    try:
        assert reopened.call(lambda repo: repo.track("old", "candidate", 16_000)) is None
        assert reopened.call(lambda repo: repo.track("new", "candidate", 16_000)) is not None
    finally:
        reopened.close()


def test_no_retention_setting_frees_nothing(tmp_path: Path) -> None:
    storage = StorageThread(tmp_path / "profile.db", KEY, create=True)
    try:
        storage.call(lambda repo: repo.save_session("old", _record("2026-10-01", 1), "finished"))
        result = storage.call(lambda repo: repo.apply_retention(NOW))
        assert result == 0
        assert (result.sessions, result.bytes_freed) == (0, 0)
        assert not result
    finally:
        storage.close()


@pytest.mark.parametrize("page_size", [DEFAULT_PAGE_SIZE, NEW_PAGE_SIZE])
def test_a_profile_made_without_auto_vacuum_gets_it_once_on_open(tmp_path: Path, page_size: int) -> None:
    """Profiles created before this change have ``auto_vacuum`` off (it can only be switched on by a VACUUM once
    tables exist): opening one vacuums it once, keeping its data, and retention then frees the space."""
    path = tmp_path / "profile.db"
    old = open_database(path, KEY, create=True, page_size=page_size)
    old.execute("PRAGMA auto_vacuum = NONE")
    old.execute("VACUUM")  # as profiles were before: no auto-vacuum
    assert old.execute("PRAGMA auto_vacuum").fetchone()[0] == 0
    migrate(old)
    ProfileRepository(old).save_session("old", _record("2026-10-01", 5), "finished")
    ProfileRepository(old).save_setting(RETENTION_SETTING, 30)
    old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    old.close()
    storage = StorageThread(path, KEY, page_size=page_size)
    try:
        assert _pragma(storage, "auto_vacuum") == 2
        assert storage.call(lambda repo: repo.track("old", "candidate", 16_000)) is not None
        result = storage.call(lambda repo: repo.apply_retention(NOW))
        assert result.sessions == 1
        assert result.bytes_freed > 0
        assert _pragma(storage, "freelist_count") == 0
    finally:
        storage.close()


def test_the_v1_fixture_profile_is_vacuumed_on_open_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    shutil.copy(FIXTURES / "profile-v1.db", path)
    storage = StorageThread(path, DatabaseKey(passphrase=V1_PASSPHRASE))
    try:
        assert _pragma(storage, "auto_vacuum") == 2
        assert _pragma(storage, "secure_delete") == 1
        assert len(storage.call(lambda repo: repo.list_sessions())) == 2
    finally:
        storage.close()
