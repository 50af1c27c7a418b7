"""The profile's side of sync on the real SQLCipher database, through the storage thread: two computers'
profiles exchange changes through an in-memory change log that behaves like the server's (dedupes by key,
answers change times in its own spelling), with last-writer-wins both ways, ties broken by origin, idempotent
re-applying, no outbox rows from applying, tombstones, the settings allowlist, practice details, a full resync,
progress that is the same from full reports and from summaries, and a schema-2 profile migrated with its data."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from oet_desktop.core.assessment.progress import build_progress, progress_from_summaries, summarise
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.repository import Profile, ProfileRepository
from oet_desktop.core.storage.sync_store import (
    SYNCED_SETTINGS,
    ApplyResult,
    OutboxChange,
    RemoteChange,
    canonical_time,
    version_key,
)
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.services.feedback import saved_feedback
from tests.fixtures.storage.make_v2_fixture import SESSIONS, V2_PASSPHRASE
from tests.report_samples import sample_feedback_report

KEY = DatabaseKey(raw=bytes(range(32)))
FIXTURE_V2 = Path(__file__).resolve().parents[1] / "fixtures" / "storage" / "profile-v2.db"
WIRE_KEY = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
SCENARIO = "nursing-catheter-care-home"


class ChangeLog:
    """The server's change log, in memory: appends what it has not seen (by key) and answers pulls in order,
    with change times spelt as the server spells them."""

    def __init__(self) -> None:
        self.changes: list[dict[str, Any]] = []

    def push(self, batch: list[OutboxChange]) -> None:
        for change in batch:
            assert WIRE_KEY.match(change.key), change.key
            assert WIRE_KEY.match(change.origin), change.origin
            if any(c["key"] == change.key for c in self.changes):
                continue
            wire = change.to_wire()
            wire["changed_at"] = datetime.fromisoformat(wire["changed_at"]).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            self.changes.append({**wire, "seq": len(self.changes) + 1})


def push(storage: StorageThread, log: ChangeLog) -> int:
    sent = 0
    while batch := storage.call(lambda repo: repo.outbox_batch(200)):
        log.push(batch)
        storage.call(lambda repo, b=batch: repo.drop_sent([c.seq for c in b]))
        sent += len(batch)
    return sent


def pull(storage: StorageThread, log: ChangeLog) -> ApplyResult:
    start = int(storage.call(ProfileRepository.sync_cursor) or 0)
    page = [RemoteChange.from_wire(c) for c in log.changes[start:]]
    result = storage.call(lambda repo: repo.apply_remote(page))
    storage.call(lambda repo: repo.set_sync_cursor(str(len(log.changes))))
    return result


def sync(storage: StorageThread, log: ChangeLog) -> ApplyResult:
    push(storage, log)
    return pull(storage, log)


def at(storage: StorageThread, when: str) -> None:
    """Set the profile's clock."""
    storage.call(lambda repo: setattr(repo, "_now", lambda: when))


def _record(turns: int = 3, started_at: str = "2026-11-26T09:00:00+00:00") -> SessionRecord:
    record = SessionRecord(SCENARIO, "practice", "half_duplex", {"stt": "whisper-tiny.en"}, started_at=started_at)
    for index in range(turns):
        record.turns.append(TurnRecord(index, f"candidate turn {index} about the catheter", index * 10.0,
                                       index * 10.0 + 4.0, [], "fact", None, "asked", f"patient reply {index}",
                                       "scripted", None, index * 10.0 + 5.0, 3.0))
        record.candidate_audio.append((index * 10.0, np.full(1600, 0.1, dtype=np.float32)))
    record.add_event(2.0, "phase", phase="opening")
    return record


def _report(session_id: str, day: int, shift: int = 0) -> FeedbackReport:
    report = sample_feedback_report()
    criteria = [replace(c, score=None if c.score is None else max(0, min(c.maximum, c.score + shift)))
                for c in report.criteria]
    return replace(report, session_id=session_id, scenario_id=SCENARIO, taken_at=f"2026-11-{day:02d}T09:00:00",
                   criteria=criteria)


def _practise(storage: StorageThread, session_id: str, day: int, shift: int = 0) -> FeedbackReport:
    report = _report(session_id, day, shift)
    record = _record(started_at=f"2026-11-{day:02d}T09:00:00+00:00")
    storage.call(lambda repo: repo.save_session(session_id, record, "finished"))
    storage.call(lambda repo: repo.save_feedback(session_id, report))
    return report


@pytest.fixture
def laptop(tmp_path: Path) -> StorageThread:
    thread = StorageThread(tmp_path / "laptop.db", KEY, create=True)
    yield thread
    thread.close()


@pytest.fixture
def desktop(tmp_path: Path) -> StorageThread:
    thread = StorageThread(tmp_path / "desktop.db", KEY, create=True)
    yield thread
    thread.close()


def _table(storage: StorageThread, query: str) -> list[tuple[Any, ...]]:
    return storage.call(lambda repo: [tuple(r) for r in repo._db.execute(query).fetchall()])


def test_the_install_has_an_id_a_cursor_and_a_status(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    first = StorageThread(path, KEY, create=True)
    client = first.call(ProfileRepository.sync_client_id)
    assert re.match(r"^[A-Za-z0-9_-]{22,64}$", client)
    first.call(lambda repo: repo.set_sync_cursor("MTph"))
    first.call(lambda repo: repo.mark_synced("2026-12-01T09:00:00.000+00:00"))
    first.call(lambda repo: repo.save_setting("turn_mode", "full_duplex"))
    first.close()
    again = StorageThread(path, KEY)
    try:
        status = again.call(ProfileRepository.sync_status)
        assert (status.client_id, status.cursor, status.last_synced_at, status.pending, status.details) == \
            (client, "MTph", "2026-12-01T09:00:00.000+00:00", 1, False)
        again.call(lambda repo: repo.set_sync_details(True))
        assert again.call(ProfileRepository.sync_details_enabled)
    finally:
        again.close()
    other = StorageThread(tmp_path / "other.db", KEY, create=True)
    try:
        assert other.call(ProfileRepository.sync_client_id) != client
    finally:
        other.close()


def test_local_changes_become_wire_changes_with_current_data(laptop: StorageThread) -> None:
    client = laptop.call(ProfileRepository.sync_client_id)
    laptop.call(lambda repo: repo.save_profile(Profile("Amira Haddad", "nursing")))
    laptop.call(lambda repo: repo.save_setting("endpoint_ms", 700))
    laptop.call(lambda repo: repo.save_setting("input_device", "USB microphone"))  # stays on this computer
    report = _practise(laptop, "s1", 20)
    batch = laptop.call(lambda repo: repo.outbox_batch(200))
    assert [(c.entity, c.entity_id, c.op) for c in batch] == [
        ("profile", "1", "upsert"), ("setting", "endpoint_ms", "upsert"), ("session", "s1", "upsert"),
        ("feedback", "s1", "upsert")]
    assert all(c.origin == client and WIRE_KEY.match(c.key) for c in batch)
    assert all(canonical_time(c.changed_at) == c.changed_at for c in batch)
    assert batch[0].data == {"name": "Amira Haddad", "profession": "nursing"}
    assert batch[1].data == {"value": 700}
    assert batch[2].data == {"scenario_id": SCENARIO, "mode": "practice", "turn_mode": "half_duplex",
                             "started_at": "2026-11-20T09:00:00+00:00", "ended_at": batch[2].data["ended_at"],
                             "status": "finished", "turns": 3, "duration_s": 28.0}
    summary = summarise(report)
    assert batch[3].data == {"estimate": summary.estimate, "grade": summary.grade,
                             "scores": {c.value: s for c, s in summary.scores.items()}, "taken_at": summary.taken_at,
                             "scenario_id": SCENARIO, "scenario_title": report.scenario_title,
                             "profession": report.profession}
    assert batch[2].to_wire()["sealed"] is None
    assert json.dumps([c.to_wire() for c in batch])  # plain JSON
    laptop.call(lambda repo: repo.drop_sent([c.seq for c in batch[:2]]))
    assert laptop.call(lambda repo: repo.pending_changes()) == 2
    assert len(laptop.call(lambda repo: repo.outbox_batch(1))) == 1


def test_two_computers_share_history_and_progress_without_full_reports(laptop: StorageThread,
                                                                       desktop: StorageThread) -> None:
    log = ChangeLog()
    reports = [_practise(laptop, "s1", 20, -1), _practise(laptop, "s2", 22, 0), _practise(laptop, "s3", 24, 1)]
    laptop.call(lambda repo: repo.save_profile(Profile("Amira Haddad", "nursing")))
    assert sync(laptop, log) == ApplyResult(applied=0, skipped=7)  # its own changes come back: no-ops
    result = sync(desktop, log)
    assert result == ApplyResult(applied=7, skipped=0)
    assert desktop.call(lambda repo: repo.pending_changes()) == 0  # applying queues nothing
    assert desktop.call(ProfileRepository.profile).name == "Amira Haddad"
    here, there = (s.call(ProfileRepository.list_sessions) for s in (laptop, desktop))
    assert [(s.session_id, s.status, s.estimate, s.scores, s.started_at) for s in here] == \
        [(s.session_id, s.status, s.estimate, s.scores, s.started_at) for s in there]
    assert desktop.call(ProfileRepository.practised) == laptop.call(ProfileRepository.practised)
    laptop_id = laptop.call(ProfileRepository.sync_client_id)
    assert desktop.call(lambda repo: repo.session_origin("s1")) == laptop_id
    assert laptop.call(lambda repo: repo.session_origin("s1")) is None
    assert desktop.call(lambda repo: repo.load_feedback("s1")) is None  # the full report is on the laptop
    assert desktop.call(ProfileRepository.all_feedback) == []
    assert desktop.call(ProfileRepository.unscored_sessions) == []  # never scored here without its recording
    with pytest.raises(UserFacingError, match="another computer"):
        saved_feedback(desktop, "s1")
    full = build_progress(reports, [])
    assert progress_from_summaries(laptop.call(ProfileRepository.progress_summaries), []) == full
    assert progress_from_summaries(desktop.call(ProfileRepository.progress_summaries), []) == full
    assert [s.estimate for s in full.sessions] == [r.estimate.score if r.estimate else None for r in reports]
    assert laptop.call(lambda repo: repo.pending_changes()) == 0


def test_applying_twice_changes_nothing(laptop: StorageThread, desktop: StorageThread) -> None:
    log = ChangeLog()
    _practise(laptop, "s1", 20)
    laptop.call(lambda repo: repo.set_sync_details(True))
    push(laptop, log)
    page = [RemoteChange.from_wire(c) for c in log.changes]
    assert desktop.call(lambda repo: repo.apply_remote(page)) == ApplyResult(4, 0)
    before = desktop.call(ProfileRepository.dump_tables)
    assert desktop.call(lambda repo: repo.apply_remote(page)) == ApplyResult(0, 4)
    assert desktop.call(ProfileRepository.dump_tables) == before
    assert desktop.call(ProfileRepository.practised)[SCENARIO][0] == 1


def test_the_newer_change_wins_both_ways(laptop: StorageThread, desktop: StorageThread) -> None:
    log = ChangeLog()
    at(laptop, "2026-12-01T09:00:00.000+00:00")
    laptop.call(lambda repo: repo.save_profile(Profile("Amira", "nursing")))
    laptop.call(lambda repo: repo.save_setting("endpoint_ms", 700))
    sync(laptop, log)
    sync(desktop, log)
    at(desktop, "2026-12-01T10:00:00.000+00:00")
    desktop.call(lambda repo: repo.save_profile(Profile("Amira Haddad", "nursing")))
    at(laptop, "2026-12-01T11:00:00.000+00:00")  # offline meanwhile; later, so it wins for its setting
    laptop.call(lambda repo: repo.save_setting("endpoint_ms", 900))
    at(laptop, "2026-12-01T09:30:00.000+00:00")  # earlier than the desktop's: the desktop's name stays
    laptop.call(lambda repo: repo.save_profile(Profile("A. Haddad", "nursing")))
    sync(desktop, log)
    sync(laptop, log)
    sync(desktop, log)
    for storage in (laptop, desktop):
        assert storage.call(ProfileRepository.profile).name == "Amira Haddad"
        assert storage.call(lambda repo: repo.setting("endpoint_ms")) == 900
        assert storage.call(lambda repo: repo.pending_changes()) == 0


def test_a_tie_in_time_is_broken_by_origin(laptop: StorageThread, desktop: StorageThread) -> None:
    log = ChangeLog()
    same = "2026-12-01T09:00:00.000+00:00"
    at(laptop, same)
    at(desktop, same)
    laptop.call(lambda repo: repo.save_setting("turn_mode", "half_duplex"))
    desktop.call(lambda repo: repo.save_setting("turn_mode", "full_duplex"))
    sync(laptop, log)
    sync(desktop, log)
    sync(laptop, log)
    ids = {laptop.call(ProfileRepository.sync_client_id): "half_duplex",
           desktop.call(ProfileRepository.sync_client_id): "full_duplex"}
    winner = ids[max(ids)]
    assert laptop.call(lambda repo: repo.setting("turn_mode")) == winner
    assert desktop.call(lambda repo: repo.setting("turn_mode")) == winner


def test_a_local_change_after_a_newer_remote_one_still_wins(laptop: StorageThread, desktop: StorageThread) -> None:
    log = ChangeLog()
    at(laptop, "2026-12-01T12:00:00.000+00:00")  # the laptop's clock is ahead
    laptop.call(lambda repo: repo.save_setting("endpoint_ms", 900))
    sync(laptop, log)
    sync(desktop, log)
    at(desktop, "2026-12-01T09:00:00.000+00:00")
    desktop.call(lambda repo: repo.save_setting("endpoint_ms", 500))  # made after seeing 900: must win
    [change] = desktop.call(lambda repo: repo.outbox_batch(10))
    assert change.changed_at == "2026-12-01T12:00:00.001+00:00"
    sync(desktop, log)
    sync(laptop, log)
    assert laptop.call(lambda repo: repo.setting("endpoint_ms")) == 500


def test_a_deletion_is_a_tombstone(laptop: StorageThread, desktop: StorageThread) -> None:
    log = ChangeLog()
    _practise(laptop, "s1", 20)
    _practise(laptop, "s2", 21)
    sync(laptop, log)
    sync(desktop, log)
    old_upsert = next(RemoteChange.from_wire(c) for c in log.changes if c["entity"] == "session")
    assert laptop.call(lambda repo: repo.delete_session("s1"))
    assert not laptop.call(lambda repo: repo.delete_session("s1"))
    assert laptop.call(ProfileRepository.practised)[SCENARIO][0] == 1
    sync(laptop, log)
    tombstone = log.changes[-1]
    assert (tombstone["entity"], tombstone["entity_id"], tombstone["op"], tombstone["data"]) == \
        ("session", "s1", "delete", None)
    assert sync(desktop, log) == ApplyResult(1, 0)
    assert [s.session_id for s in desktop.call(ProfileRepository.list_sessions)] == ["s2"]
    assert _table(desktop, "SELECT count(*) FROM feedback WHERE session_id = 's1'") == [(0,)]
    assert desktop.call(ProfileRepository.practised) == {SCENARIO: (1, "2026-11-21T09:00:00+00:00")}
    again = [RemoteChange.from_wire(tombstone), old_upsert]
    assert desktop.call(lambda repo: repo.apply_remote(again)) == ApplyResult(0, 2)  # twice: nothing more
    assert [s.session_id for s in desktop.call(ProfileRepository.list_sessions)] == ["s2"]
    assert desktop.call(lambda repo: repo.pending_changes()) == 0


def test_only_the_synced_settings_travel(laptop: StorageThread, desktop: StorageThread) -> None:
    assert SYNCED_SETTINGS == ("endpoint_ms", "turn_mode", "audio_retention_days")
    laptop.call(lambda repo: repo.save_setting("input_device", "USB microphone"))
    laptop.call(lambda repo: repo.save_setting("audio_retention_days", 30))
    # a queued row of a machine setting (as v2 profiles have) is dropped, never sent
    laptop.call(lambda repo: repo._db.execute(
        "INSERT INTO outbox (entity, entity_id, operation, payload, idempotency_key, created_at, changed_at) VALUES "
        "('setting', 'llm_server_url', 'upsert', '{}', 'legacy-row-1', ?1, ?1)", ("2026-12-01T09:00:00.000+00:00",)))
    batch = laptop.call(lambda repo: repo.outbox_batch(10))
    assert [(c.entity, c.entity_id) for c in batch] == [("setting", "audio_retention_days")]
    assert laptop.call(lambda repo: repo.pending_changes()) == 1
    client = laptop.call(ProfileRepository.sync_client_id)
    foreign = [RemoteChange("k-foreign-1", "setting", "input_device", "upsert", "2026-12-01T09:00:00Z", client,
                            {"value": "Laptop microphone"}),
               RemoteChange("k-foreign-2", "setting", "turn_mode", "upsert", "2026-12-01T09:00:00Z", client,
                            {"value": "full_duplex"})]
    assert desktop.call(lambda repo: repo.apply_remote(foreign)) == ApplyResult(1, 1)
    assert desktop.call(lambda repo: repo.setting("input_device")) is None
    assert desktop.call(lambda repo: repo.setting("turn_mode")) == "full_duplex"


def test_practice_details_open_the_full_feedback_on_the_other_computer(laptop: StorageThread,
                                                                       desktop: StorageThread) -> None:
    log = ChangeLog()
    report = _practise(laptop, "s1", 20)
    sync(laptop, log)  # before details were on: summaries only
    laptop.call(lambda repo: repo.set_sync_details(True))
    _practise(laptop, "s2", 21)
    batch = laptop.call(lambda repo: repo.outbox_batch(200))
    entities = [(c.entity, c.entity_id) for c in batch]
    assert entities == [("session_detail", "s1"), ("feedback_report", "s1"), ("session", "s2"),
                        ("session_detail", "s2"), ("feedback", "s2"), ("feedback_report", "s2")]
    assert all(c.sealed == (c.entity in ("session_detail", "feedback_report")) for c in batch)
    assert all(WIRE_KEY.match(c.key) for c in batch)
    detail = batch[0].data
    assert detail is not None
    assert [t["candidate_text"] for t in detail["turns"]] == [f"candidate turn {i} about the catheter"
                                                              for i in range(3)]
    assert detail["events"] == [{"at": 2.0, "kind": "phase", "phase": "opening"}]
    assert detail["models"] == {"stt": "whisper-tiny.en"}
    assert batch[1].data == json.loads(json.dumps(report.as_dict()))
    assert batch[0].to_wire(sealed="A" * 40)["data"] is None
    sync(laptop, log)
    sync(desktop, log)
    assert desktop.call(lambda repo: repo.load_feedback("s1")) == report
    assert saved_feedback(desktop, "s2").report == _report("s2", 21)
    stored = desktop.call(lambda repo: repo.load_session("s1"))
    assert stored is not None
    assert stored.data["turns"] == detail["turns"]
    assert desktop.call(lambda repo: repo.track("s1", "candidate", 16_000)) is None  # audio never leaves
    assert desktop.call(lambda repo: repo.pending_changes()) == 0


def test_a_summary_never_replaces_a_full_report_of_the_same_scoring(laptop: StorageThread,
                                                                     desktop: StorageThread) -> None:
    log = ChangeLog()
    laptop.call(lambda repo: repo.set_sync_details(True))
    report = _practise(laptop, "s1", 20)
    push(laptop, log)
    page = [RemoteChange.from_wire(c) for c in log.changes]
    order = {"session": 0, "feedback_report": 1, "session_detail": 2, "feedback": 3}  # report before summary
    desktop.call(lambda repo: repo.apply_remote(sorted(page, key=lambda c: order[c.entity])))
    assert desktop.call(lambda repo: repo.load_feedback("s1")) == report
    unopened = replace(page[-1], key="k-unopened", data=None, sealed=True, changed_at="2026-12-31T00:00:00Z")
    assert desktop.call(lambda repo: repo.apply_remote([unopened])) == ApplyResult(0, 1)
    assert desktop.call(lambda repo: repo.load_feedback("s1")) == report
    # a report imported from an archive (no version held) stays when the same scoring's summary arrives
    desktop.call(lambda repo: repo._db.execute("DELETE FROM sync_versions"))
    summary = next(c for c in page if c.entity == "feedback")
    assert desktop.call(lambda repo: repo.apply_remote([summary])) == ApplyResult(1, 0)
    assert desktop.call(lambda repo: repo.load_feedback("s1")) == report
    rescored = replace(summary, key="k-rescored", changed_at="2026-12-31T00:00:00Z",
                       data={**(summary.data or {}), "estimate": 420})  # a newer scoring replaces it
    assert desktop.call(lambda repo: repo.apply_remote([rescored])) == ApplyResult(1, 0)
    assert desktop.call(lambda repo: repo.load_feedback("s1")) is None
    assert desktop.call(ProfileRepository.list_sessions)[0].estimate == 420


def test_a_malformed_change_is_skipped_and_the_rest_applied(desktop: StorageThread) -> None:
    origin = "another-computer-01"
    changes = [
        RemoteChange("k-bad-0001", "session", "s9", "upsert", "2026-12-01T09:00:00Z", origin, {"status": "finished"}),
        RemoteChange("k-bad-0002", "feedback", "nowhere", "upsert", "2026-12-01T09:00:00Z", origin,
                     {"scores": {}, "scenario_id": SCENARIO}),  # its session is not here
        RemoteChange("k-bad-0003", "mystery", "x", "upsert", "2026-12-01T09:00:00Z", origin, {}),
        RemoteChange("k-bad-0004", "profile", "1", "upsert", "not a time", origin, {"name": "X", "profession": "Y"}),
        RemoteChange("k-good-001", "profile", "1", "upsert", "2026-12-01T09:00:00Z", origin,
                     {"name": "Amira", "profession": "nursing"}),
    ]
    assert desktop.call(lambda repo: repo.apply_remote(changes)) == ApplyResult(1, 4)
    assert desktop.call(ProfileRepository.profile).name == "Amira"
    assert desktop.call(ProfileRepository.session_count) == 0


def test_a_full_resync_requeues_everything_at_the_versions_held(laptop: StorageThread,
                                                                 desktop: StorageThread) -> None:
    log = ChangeLog()
    laptop.call(lambda repo: repo.save_profile(Profile("Amira", "nursing")))
    _practise(laptop, "s1", 20)
    _practise(laptop, "s2", 21)
    laptop.call(lambda repo: repo.delete_session("s2"))
    sync(laptop, log)
    sync(desktop, log)
    _practise(desktop, "d1", 22)
    sync(desktop, log)
    sync(laptop, log)
    restored = ChangeLog()  # the server lost everything: both computers send all they hold again
    assert laptop.call(ProfileRepository.requeue_all) == 6  # profile, s1, d1, their feedback, s2's tombstone
    assert desktop.call(ProfileRepository.requeue_all) == 6
    assert laptop.call(ProfileRepository.requeue_all) == 6  # again: the same rows, not more
    assert laptop.call(lambda repo: repo.pending_changes()) == 6
    laptop_batch = laptop.call(lambda repo: repo.outbox_batch(200))
    desktop_batch = desktop.call(lambda repo: repo.outbox_batch(200))
    assert {c.key for c in laptop_batch} == {c.key for c in desktop_batch}  # the server keeps each once
    d1 = next(c for c in laptop_batch if (c.entity, c.entity_id) == ("session", "d1"))
    assert d1.origin == desktop.call(ProfileRepository.sync_client_id)
    assert d1.key == version_key("session", "d1", d1.changed_at, d1.origin)
    push(laptop, restored)
    push(desktop, restored)
    assert len(restored.changes) == 6
    fresh = StorageThread(laptop.path.with_name("fresh.db"), KEY, create=True)  # a third computer joins
    try:
        assert pull(fresh, restored) == ApplyResult(6, 0)
        assert [s.session_id for s in fresh.call(ProfileRepository.list_sessions)] == ["d1", "s1"]
        assert progress_from_summaries(fresh.call(ProfileRepository.progress_summaries), []) == \
            progress_from_summaries(laptop.call(ProfileRepository.progress_summaries), [])
    finally:
        fresh.close()
    for storage in (laptop, desktop):  # the server answered "resync required": both pull from the start
        storage.call(lambda repo: repo.set_sync_cursor(""))
        assert pull(storage, restored) == ApplyResult(0, 6)


def test_a_resync_moves_the_cursor_back_and_queues_everything_in_one_transaction(laptop: StorageThread) -> None:
    _practise(laptop, "s1", 20)
    laptop.call(lambda repo: repo.drop_sent([c.seq for c in repo.outbox_batch(200)]))
    laptop.call(lambda repo: repo.set_sync_cursor("MTI6YWJj"))

    class Crash(Exception):
        pass

    def crash_in_the_middle(repo: ProfileRepository) -> None:
        with repo._transaction():  # the same kind of transaction requeue_all runs in, cut short
            repo._db.execute("UPDATE sync_state SET cursor = '' WHERE id = 1")
            raise Crash

    with pytest.raises(Crash):
        laptop.call(crash_in_the_middle)
    assert laptop.call(ProfileRepository.sync_cursor) == "MTI6YWJj"  # all or nothing
    queued = laptop.call(lambda repo: repo.requeue_all(restart_pull=True))
    assert queued == 2  # the session and its feedback
    assert laptop.call(ProfileRepository.sync_cursor) == ""
    assert laptop.call(lambda repo: repo.pending_changes()) == 2


def test_a_schema_2_profile_migrates_with_its_data_and_its_queue(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    shutil.copy(FIXTURE_V2, path)
    storage = StorageThread(path, DatabaseKey(passphrase=V2_PASSPHRASE))
    try:
        client = storage.call(ProfileRepository.sync_client_id)
        assert len(client) >= 22
        assert storage.call(lambda repo: repo.setting("input_device")) == "USB microphone"  # kept, not queued
        assert storage.call(lambda repo: repo.pending_changes()) == 2
        outbox = _table(storage, "SELECT idempotency_key, changed_at, created_at, origin FROM outbox ORDER BY seq")
        assert outbox == [(f"fixture-{n}", "2026-11-03T08:00:00.000+00:00", "2026-11-03T08:00:00.000+00:00", None)
                          for n in range(2)]
        assert _table(storage, "SELECT origin, duration_s, turn_count FROM sessions") == [(None, 11.5, None)] * 2
        assert _table(storage, "SELECT summary, summary_only FROM feedback") == [(None, 0)] * 2
        report = sample_feedback_report()
        assert storage.call(ProfileRepository.progress_summaries) == [
            replace(summarise(report), session_id=s) for s in SESSIONS]
        batch = storage.call(lambda repo: repo.outbox_batch(200))
        assert [(c.entity, c.entity_id, c.key, c.origin) for c in batch] == [
            ("session", s, f"fixture-{n}", client) for n, s in enumerate(SESSIONS)]
        assert batch[0].data == {"scenario_id": "nursing-catheter-care-home", "mode": "practice",
                                 "turn_mode": "half_duplex", "started_at": "2026-11-01T09:00:00+00:00",
                                 "ended_at": "2026-11-01T09:00:00+00:00", "status": "finished", "turns": 3,
                                 "duration_s": 11.5}
        versions = dict(((e, i), (c, o)) for e, i, c, o in _table(
            storage, "SELECT entity, entity_id, changed_at, origin FROM sync_versions"))
        assert versions[("profile", "1")] == ("2026-11-03T08:00:00.000+00:00", client)
        assert versions[("setting", "endpoint_ms")] == ("2026-11-03T08:00:00.000+00:00", client)
        assert ("setting", "input_device") not in versions
        assert {(e, i) for e, i in versions if e in ("session", "feedback")} == \
            {(e, s) for e in ("session", "feedback") for s in SESSIONS}
        assert storage.call(ProfileRepository.requeue_all) == 6  # profile, endpoint_ms, 2 sessions, 2 feedback
    finally:
        storage.close()
    again = StorageThread(path, DatabaseKey(passphrase=V2_PASSPHRASE))
    try:
        assert again.call(ProfileRepository.sync_client_id) == client
    finally:
        again.close()
