"""The profile repository on the real SQLCipher database, through the storage thread: sessions saved whole
with both audio tracks and an outbox row in the same transaction, feedback and scores, history listing."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile

from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.repository import ProfileRepository
from oet_desktop.core.storage.worker import StorageThread
from tests.report_samples import sample_feedback_report

KEY = DatabaseKey(raw=bytes(range(32)))


def _record(turns: int = 3) -> SessionRecord:
    record = SessionRecord("nursing-catheter-care-home", "practice", "half_duplex", {"stt": "whisper-tiny.en"},
                           started_at="2026-11-26T09:00:00+00:00")
    for index in range(turns):
        record.turns.append(TurnRecord(index, f"candidate turn {index}", index * 10.0, index * 10.0 + 4.0, [],
                                       "fact", None, "asked", f"patient reply {index}", "scripted", None,
                                       index * 10.0 + 5.0, 3.0))
        record.candidate_audio.append((index * 10.0, np.full(16_000, 0.1, dtype=np.float32)))
        record.patient_audio.append((index * 10.0 + 5.0, np.full(22_050, -0.1, dtype=np.float32), 22_050))
    return record


@pytest.fixture
def storage(tmp_path: Path) -> StorageThread:
    thread = StorageThread(tmp_path / "profile.db", KEY, create=True)
    yield thread
    thread.close()


def test_a_session_is_saved_whole_with_both_tracks_and_an_outbox_row(storage: StorageThread) -> None:
    storage.call(lambda repo: repo.save_session("s1", _record(), "finished"))
    listing = storage.call(lambda repo: repo.list_sessions())
    assert [(s.session_id, s.status) for s in listing] == [("s1", "finished")]
    tracks = storage.call(lambda repo: repo._db.execute(
        "SELECT track, sample_rate, wav FROM audio ORDER BY track").fetchall())
    assert [(t, r) for t, r, _ in tracks] == [("candidate", 16_000), ("patient", 22_050)]
    audio, rate = soundfile.read(io.BytesIO(tracks[0][2]), dtype="float32")
    assert rate == 16_000
    assert audio.size == 16_000 * 21
    assert storage.call(lambda repo: repo.pending_changes()) == 1


def test_saving_as_it_goes_replaces_the_earlier_save(storage: StorageThread) -> None:
    storage.call(lambda repo: repo.save_session("s1", _record(1), "in_progress"))
    storage.call(lambda repo: repo.save_session("s1", _record(3), "finished"))
    turns = storage.call(lambda repo: repo._db.execute("SELECT count(*) FROM turns").fetchone()[0])
    assert turns == 3
    assert storage.call(lambda repo: repo.session_count()) == 1


def test_a_failed_save_leaves_nothing_behind(storage: StorageThread) -> None:
    storage.call(lambda repo: repo.save_session("s1", _record(), "finished"))
    bad = _record()
    bad.mode = None  # type: ignore[assignment]  # violates NOT NULL half-way through the save
    with pytest.raises(Exception, match="NOT NULL"):
        storage.call(lambda repo: repo.save_session("s2", bad, "finished"))
    assert storage.call(lambda repo: repo.session_count()) == 1
    assert storage.call(lambda repo: repo.pending_changes()) == 1
    leftovers = storage.call(lambda repo: repo._db.execute(
        "SELECT count(*) FROM audio WHERE session_id = 's2'").fetchone()[0])
    assert leftovers == 0


def test_feedback_and_scores_are_listed_with_the_session(storage: StorageThread) -> None:
    report = sample_feedback_report()
    storage.call(lambda repo: repo.save_session("s1", _record(), "finished"))
    storage.call(lambda repo: repo.save_feedback("s1", report))
    listing = storage.call(lambda repo: repo.list_sessions())[0]
    assert listing.estimate == (report.estimate.score if report.estimate else None)
    assert listing.scores == {c.criterion.value: c.score for c in report.criteria}
    assert storage.call(lambda repo: repo.load_feedback("s1")) == report
    assert storage.call(lambda repo: repo.load_feedback("nope")) is None


def test_the_connection_is_used_only_on_the_storage_thread(storage: StorageThread) -> None:
    names = storage.call(lambda repo: threading.current_thread().name)
    assert names.startswith("storage")
    assert threading.current_thread().name != names


def test_the_database_reopens_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    first = StorageThread(path, KEY, create=True)
    first.call(lambda repo: repo.save_session("s1", _record(), "finished"))
    first.close()
    again = StorageThread(path, KEY)
    try:
        assert [s.session_id for s in again.call(ProfileRepository.list_sessions)] == ["s1"]
    finally:
        again.close()
