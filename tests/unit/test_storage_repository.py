"""The profile repository on the real SQLCipher database, through the storage thread: sessions saved whole
with both audio tracks and an outbox row in the same transaction, feedback and scores, history listing."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.repository import RETENTION_SETTING, ProfileRepository
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
    candidate = storage.call(lambda repo: repo.track("s1", "candidate", 16_000))
    patient = storage.call(lambda repo: repo.track("s1", "patient", 22_050))
    assert candidate.size == 16_000 * 21  # three 1 s turns 10 s apart, on the session timeline
    assert patient.size == 22_050 * 26
    assert abs(int(candidate[16_000 * 10 + 5]) - round(0.1 * 32767)) <= 1
    assert candidate[16_000 * 5] == 0
    assert abs(int(patient[22_050 * 5 + 5]) + round(0.1 * 32767)) <= 1
    assert storage.call(lambda repo: repo.pending_changes()) == 1
    practised = storage.call(lambda repo: repo.practised())
    assert practised == {"nursing-catheter-care-home": (1, "2026-11-26T09:00:00+00:00")}


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
        "SELECT count(*) FROM audio_segments WHERE session_id = 's2'").fetchone()[0])
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


def test_a_journal_saves_only_what_is_new_and_a_crash_keeps_what_was_saved(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    storage = StorageThread(path, KEY, create=True)
    record = _record(1)
    journal = SessionJournal(storage, "live", record)
    journal.checkpoint()
    for index in (1, 2):  # two more turns arrive, each followed by a checkpoint
        record.turns.append(TurnRecord(index, f"candidate turn {index}", index * 10.0, index * 10.0 + 4.0, [],
                                       "fact", None, "asked", f"patient reply {index}", "scripted", None,
                                       index * 10.0 + 5.0, 3.0))
        record.candidate_audio.append((index * 10.0, np.full(16_000, 0.1, dtype=np.float32)))
        journal.checkpoint()
    storage.close()  # as if the app died here: no finish()
    again = StorageThread(path, KEY)
    try:
        assert again.call(lambda repo: repo.recover_interrupted()) == ["live"]
        saved = again.call(lambda repo: repo.load_session("live"))
        assert saved is not None
        assert saved.status == "interrupted"
        assert [t["candidate_text"] for t in saved.data["turns"]] == [f"candidate turn {i}" for i in range(3)]
        segments = again.call(lambda repo: repo.audio_segments("live", "candidate"))
        assert [s.start_s for s in segments] == [0.0, 10.0, 20.0]  # appended, never rewritten
        assert again.call(lambda repo: repo.practised()) == {}  # an interrupted role-play is not counted
    finally:
        again.close()


def test_finishing_a_journal_marks_the_session_and_counts_it_once(storage: StorageThread) -> None:
    record = _record(2)
    journal = SessionJournal(storage, "done", record)
    journal.checkpoint()
    journal.finish("finished")
    journal.finish("finished")
    assert storage.call(lambda repo: repo.practised())["nursing-catheter-care-home"][0] == 1
    assert storage.call(lambda repo: repo.pending_changes()) == 1  # one sync row: in-progress saves are not synced
    assert storage.call(lambda repo: repo.track("done", "patient", 22_050)).size == 22_050 * 16


def test_retention_deletes_old_audio_but_keeps_transcripts_and_scores(storage: StorageThread) -> None:
    report = sample_feedback_report()
    for session_id, day in (("old", "2026-10-01"), ("new", "2026-11-25")):
        record = _record()
        record.started_at = f"{day}T09:00:00+00:00"
        storage.call(lambda repo, r=record, s=session_id: repo.save_session(s, r, "finished"))
        storage.call(lambda repo, s=session_id: repo.save_feedback(s, report))
    now = datetime(2026, 11, 26, tzinfo=UTC)
    assert storage.call(lambda repo: repo.apply_retention(now)) == 0  # no setting: audio is kept
    storage.call(lambda repo: repo.save_setting(RETENTION_SETTING, 30))
    assert storage.call(lambda repo: repo.apply_retention(now)) == 1
    assert storage.call(lambda repo: repo.track("old", "candidate", 16_000)) is None
    assert storage.call(lambda repo: repo.track("new", "candidate", 16_000)) is not None
    old = storage.call(lambda repo: repo.load_session("old"))
    assert old is not None
    assert old.audio_removed_at is not None
    assert len(old.data["turns"]) == 3
    assert storage.call(lambda repo: repo.load_feedback("old")) == report
    listing = {s.session_id: s for s in storage.call(lambda repo: repo.list_sessions())}
    assert listing["old"].audio_removed
    assert listing["old"].scores == listing["new"].scores
    assert storage.call(lambda repo: repo.apply_retention(now)) == 0


def test_sessions_are_found_by_name_start_or_latest(storage: StorageThread) -> None:
    for session_id, day in (("20261101-nursing", "2026-11-01"), ("20261102-pharmacy", "2026-11-02")):
        record = _record(1)
        record.started_at = f"{day}T09:00:00+00:00"
        storage.call(lambda repo, r=record, s=session_id: repo.save_session(s, r, "finished"))
    assert storage.call(lambda repo: repo.resolve("latest")) == "20261102-pharmacy"
    assert storage.call(lambda repo: repo.resolve("20261101")) == "20261101-nursing"
    with pytest.raises(UserFacingError, match="matches 2 role-plays"):
        storage.call(lambda repo: repo.resolve("2026110"))
    with pytest.raises(UserFacingError, match="No saved role-play is called 'x'"):
        storage.call(lambda repo: repo.resolve("x"))
