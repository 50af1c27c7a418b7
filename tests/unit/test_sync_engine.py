"""The sync engine over an in-memory server log and repository: batches pushed and dropped only after the answer,
pages pulled and applied before the cursor moves, details sealed and opened (or kept sealed), a resync, and a
failure at any point losing nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.sync_store import ApplyResult, OutboxChange, RemoteChange, SyncStatus
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.core.sync import engine as engine_module
from oet_desktop.core.sync.client import AccountRefused, Offline, ResyncRequired
from oet_desktop.core.sync.crypto import open_sealed, sealing_aad
from oet_desktop.core.sync.engine import SyncEngine
from oet_desktop.core.sync.protocol import PullPage, PushResult, WireChange
from tests.sync_samples import scored_session

KEY = bytes(range(32))
OTHER_KEY = bytes(range(1, 33))
CLIENT = "laptop-client-0001"
T0 = "2026-12-01T09:00:00.000+00:00"


@dataclass
class FakeRepository:
    """The sync methods of the repository, in memory."""

    outbox: list[OutboxChange] = field(default_factory=list)
    cursor: str = ""
    applied: list[RemoteChange] = field(default_factory=list)
    received: list[RemoteChange] = field(default_factory=list)
    synced_at: str | None = None
    requeued: int = 0
    fail_apply: bool = False

    def sync_client_id(self) -> str:
        return CLIENT

    def sync_cursor(self) -> str:
        return self.cursor

    def set_sync_cursor(self, cursor: str) -> None:
        self.cursor = cursor

    def outbox_batch(self, limit: int) -> list[OutboxChange]:
        return self.outbox[:limit]

    def drop_sent(self, seqs: list[int]) -> None:
        self.outbox = [c for c in self.outbox if c.seq not in seqs]

    def apply_remote(self, changes: list[RemoteChange]) -> ApplyResult:
        if self.fail_apply:
            raise RuntimeError("disk full")
        self.received += changes
        fresh = [c for c in changes if c.key not in {a.key for a in self.applied} and not c.sealed]
        self.applied += fresh
        return ApplyResult(len(fresh), len(changes) - len(fresh))

    def requeue_all(self, *, restart_pull: bool = False) -> int:
        if restart_pull:
            self.cursor = ""
        self.requeued += 1
        self.outbox = [summary(100 + n, f"again{n}") for n in range(3)]
        return len(self.outbox)

    def mark_synced(self, at: str) -> None:
        self.synced_at = at

    def sync_status(self) -> SyncStatus:
        return SyncStatus(CLIENT, self.cursor, self.synced_at, len(self.outbox), True)


@dataclass
class FakeServer:
    """An account's log: pushes deduplicated by key, pulls by position."""

    log: list[WireChange] = field(default_factory=list)
    pushes: list[list[WireChange]] = field(default_factory=list)
    pulls: list[str] = field(default_factory=list)
    fail_push_at: int | None = None
    forgot_before: int = 0
    """Cursors below this no longer fit the log (a restore): they answer resync required."""

    def push(self, changes: list[WireChange]) -> PushResult:
        if self.fail_push_at is not None and len(self.pushes) == self.fail_push_at:
            self.fail_push_at = None
            raise Offline("The account server could not be reached.", "Later.")
        self.pushes.append(list(changes))
        known = {c.key for c in self.log}
        new = [c for c in changes if c.key not in known]
        self.log += [WireChange(**{**c.__dict__, "seq": len(self.log) + n + 1}) for n, c in enumerate(new)]
        return PushResult(len(new), len(changes) - len(new))

    def pull(self, cursor: str, limit: int) -> PullPage:
        self.pulls.append(cursor.split(":")[0])
        after = int(cursor.split(":")[0] or 0)
        if cursor and (after < self.forgot_before or after > len(self.log)
                       or not cursor.endswith(f":{self.log[after - 1].key}")):
            raise ResyncRequired("The sync position does not fit.", "Pull everything again.")
        page = self.log[after:after + limit]
        end = after + len(page)
        return PullPage(page, f"{end}:{self.log[end - 1].key}" if end else "", end < len(self.log))


def summary(seq: int, entity_id: str, changed_at: str = T0) -> OutboxChange:
    return OutboxChange(seq, f"key-{seq:06d}", "session", entity_id, "upsert", changed_at,
                        {"status": "finished", "turns": 3}, CLIENT)


def detail(seq: int, entity_id: str, words: str = "Good morning, Mrs Okonkwo") -> OutboxChange:
    return OutboxChange(seq, f"key-{seq:06d}-d", "session_detail", entity_id, "upsert", T0,
                        {"turns": [{"index": 0, "candidate_text": words}], "events": [], "models": {}}, CLIENT)


def remote(n: int, **fields: Any) -> WireChange:
    values: dict[str, Any] = {"key": f"remote-{n:06d}", "entity": "session", "entity_id": f"r{n}", "op": "upsert",
                              "changed_at": "2026-12-02T10:00:00.5Z", "origin": "desktop-client-02",
                              "data": {"status": "finished"}, **fields}
    return WireChange(**values)


def engine_for(repo: FakeRepository, server: FakeServer, key: bytes | None = KEY, **options: Any) -> SyncEngine:
    return SyncEngine(server, lambda work: work(repo), key, now=lambda: "2026-12-03T00:00:00.000+00:00", **options)


def test_the_outbox_goes_in_batches_and_is_dropped_after_each_answer() -> None:
    repo = FakeRepository(outbox=[summary(n, f"s{n}") for n in range(450)])
    server = FakeServer()
    report = engine_for(repo, server).sync_once()
    assert [len(p) for p in server.pushes] == [200, 200, 50]
    assert report.pushed == 450
    assert report.pending_after == 0
    assert not repo.outbox
    assert repo.synced_at == "2026-12-03T00:00:00.000+00:00"
    assert report.pulled == 450
    assert report.own_returned == 450
    assert "received 0 from other computers" in report.summary()
    assert report.applied == 450
    again = engine_for(repo, server).sync_once()
    assert again.pushed == 0
    assert again.pulled == 0


def test_details_are_sealed_with_the_key_and_kept_here_without_one() -> None:
    repo = FakeRepository(outbox=[summary(1, "s1"), detail(1, "s1"), summary(2, "s2"),
                                  OutboxChange(3, "key-000003", "feedback", "s0", "delete", T0, None, CLIENT)])
    server = FakeServer()
    engine_for(repo, server).sync_once()
    sent = {c.entity: c for c in server.pushes[0]}
    assert sent["session_detail"].data is None
    assert sent["session_detail"].sealed
    assert "Okonkwo" not in json.dumps([c.to_json() for c in server.pushes[0]])
    opened = open_sealed(KEY, sent["session_detail"].sealed or "", sealing_aad("session_detail", "s1", T0))
    assert opened["turns"][0]["candidate_text"] == "Good morning, Mrs Okonkwo"
    assert sent["feedback"].op == "delete"
    assert sent["feedback"].data is None
    assert sent["feedback"].sealed is None
    assert all(c.origin == CLIENT for c in server.pushes[0])

    repo = FakeRepository(outbox=[summary(1, "s1"), detail(1, "s1")])
    server = FakeServer()
    report = engine_for(repo, server, key=None).sync_once()
    assert [c.entity for c in server.pushes[0]] == ["session"]
    assert report.details_not_sent == 1
    assert not repo.outbox
    assert "no sync passphrase" in report.summary()


def test_pulled_pages_are_applied_before_the_cursor_moves_and_details_opened() -> None:
    laptop_repo, desktop_repo = FakeRepository(outbox=[summary(1, "s1"), detail(1, "s1")]), FakeRepository()
    server = FakeServer(log=[remote(n) for n in range(5)])
    server.log = [WireChange(**{**c.__dict__, "seq": n + 1}) for n, c in enumerate(server.log)]
    engine_for(laptop_repo, server).sync_once()
    report = engine_for(desktop_repo, server, pull_page=2).sync_once()
    assert server.pulls[-4:] == ["", "2", "4", "6"]
    assert desktop_repo.cursor.startswith("7:")
    assert report.pulled == 7
    assert report.sealed_unopened == 0
    by_entity = {c.entity_id: c for c in desktop_repo.applied if c.entity == "session_detail"}
    assert by_entity["s1"].data is not None
    assert by_entity["s1"].data["turns"][0]["candidate_text"].startswith("Good")
    assert not by_entity["s1"].sealed
    assert desktop_repo.applied[0].changed_at == "2026-12-02T10:00:00.500+00:00"  # the app's spelling

    stranger = FakeRepository()
    report = engine_for(stranger, server, key=OTHER_KEY).sync_once()
    [unopened] = [c for c in stranger.received if c.entity == "session_detail"]
    assert unopened.sealed
    assert unopened.data is None
    assert report.sealed_unopened == 1
    assert "same sync passphrase" in report.summary()


def test_changes_of_a_later_protocol_and_bad_times_are_skipped() -> None:
    repo = FakeRepository()
    server = FakeServer(log=[remote(1, entity="subscription"), remote(2, changed_at="not a time"), remote(3)])
    report = engine_for(repo, server).sync_once()
    assert [c.key for c in repo.applied] == ["remote-000003"]
    assert report.skipped == 2


def test_a_resync_requeues_pushes_and_pulls_from_the_start() -> None:
    repo = FakeRepository(cursor="1:remote-000000")
    server = FakeServer(log=[remote(n) for n in range(2)], forgot_before=2)
    report = engine_for(repo, server).sync_once()
    assert report.resynced
    assert repo.requeued == 1
    assert server.pulls == ["1", ""]
    assert [c.key for c in server.pushes[0]] == ["key-000100", "key-000101", "key-000102"]
    assert repo.cursor.startswith("5:")
    assert report.pending_after == 0


def test_a_failed_push_or_apply_loses_nothing() -> None:
    repo = FakeRepository(outbox=[summary(n, f"s{n}") for n in range(5)])
    server = FakeServer(fail_push_at=1)
    with pytest.raises(Offline):
        engine_for(repo, server, push_batch=2).sync_once()
    assert [c.seq for c in repo.outbox] == [2, 3, 4]  # the answered batch only was dropped
    engine_for(repo, server, push_batch=2).sync_once()
    assert sorted(c.entity_id for c in server.log) == [f"s{n}" for n in range(5)]

    desktop = FakeRepository(fail_apply=True)
    with pytest.raises(RuntimeError, match="disk full"):
        engine_for(desktop, server).sync_once()
    assert desktop.cursor == ""  # not moved past what was not applied
    desktop.fail_apply = False
    assert engine_for(desktop, server).sync_once().applied == 5


def test_large_details_are_split_into_pushes_under_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(engine_module, "MAX_PUSH_BYTES", 20_000)
    words = "transcript " * 600  # ~6.6 kB each, more once sealed
    repo = FakeRepository(outbox=[c for n in range(8) for c in (summary(n, f"s{n}"), detail(n, f"s{n}", words))])
    server = FakeServer()
    engine_for(repo, server).sync_once()
    assert len(server.pushes) > 2
    for push in server.pushes:
        assert sum(c.wire_size() for c in push) <= 20_000 or len(push) == 2
        assert sorted({c.entity_id for c in push}) == sorted({c.entity_id for c in push if c.entity == "session"})
    assert len(server.log) == 16
    assert not repo.outbox


def test_a_change_the_server_refuses_is_set_aside_and_the_rest_still_sync() -> None:
    """One refused row (422) must not stop every later sync: the push is halved until that row is found; it stays
    here, the others are sent, and the pull still runs."""

    class Picky(FakeServer):
        def push(self, changes: list[WireChange]) -> PushResult:
            if any(c.entity_id == "s3" for c in changes):
                raise AccountRefused("A change's data is larger than 65536 bytes.", "", 422)
            return super().push(changes)

    repo = FakeRepository(outbox=[summary(n, f"s{n}") for n in range(8)])
    server = Picky(log=[])
    report = engine_for(repo, server).sync_once()
    assert sorted(c.entity_id for c in server.log) == [f"s{n}" for n in range(8) if n != 3]
    assert report.set_aside == 1
    assert not repo.outbox
    assert "refused" in report.summary()
    assert server.pulls == [""]  # the pull ran after the push

    class Broken(FakeServer):
        def push(self, changes: list[WireChange]) -> PushResult:
            raise AccountRefused("Sign in again.", "", 403)

    repo = FakeRepository(outbox=[summary(1, "s1")])
    with pytest.raises(AccountRefused):
        engine_for(repo, Broken()).sync_once()
    assert len(repo.outbox) == 1  # other refusals keep the change for later


def test_an_answer_for_fewer_changes_than_sent_drops_nothing() -> None:
    class Short(FakeServer):
        def push(self, changes: list[WireChange]) -> PushResult:
            super().push(changes)
            return PushResult(len(changes) - 1, 0)

    repo = FakeRepository(outbox=[summary(n, f"s{n}") for n in range(3)])
    with pytest.raises(RuntimeError, match="answered for 2 of 3"):
        engine_for(repo, Short()).sync_once()
    assert len(repo.outbox) == 3


def test_sealed_changes_carry_the_key_id_so_a_corrected_passphrase_is_not_a_duplicate() -> None:
    wrong = FakeServer()
    engine_for(FakeRepository(outbox=[detail(1, "s1")]), wrong, key=OTHER_KEY).sync_once()
    engine_for(FakeRepository(outbox=[detail(1, "s1")]), wrong, key=KEY).sync_once()
    keys = [c.key for c in wrong.log]
    assert len(keys) == 2
    assert keys[0] != keys[1]
    assert keys[0].startswith("key-000001-d-")
    assert all(len(k) <= 64 for k in keys)


def test_pulled_details_must_be_sealed_and_summaries_plain() -> None:
    repo = FakeRepository()
    server = FakeServer(log=[remote(1, entity="session_detail", data={"turns": [{"candidate_text": "planted"}]}),
                             remote(2, data=None, sealed="A" * 40), remote(3)])
    report = engine_for(repo, server).sync_once()
    assert [c.key for c in repo.applied] == ["remote-000003"]
    assert report.skipped == 2


def test_an_outbox_that_does_not_shrink_stops_the_sync() -> None:
    class Stuck(FakeRepository):
        def drop_sent(self, seqs: list[int]) -> None:
            pass

    repo = Stuck(outbox=[summary(1, "s1")])
    with pytest.raises(RuntimeError, match="same changes again"):
        engine_for(repo, FakeServer()).sync_once()


@pytest.fixture
def two_profiles(tmp_path: Path) -> Iterator[tuple[StorageThread, StorageThread]]:
    laptop = StorageThread(tmp_path / "laptop.db", DatabaseKey(raw=bytes(32)), create=True)
    desktop = StorageThread(tmp_path / "desktop.db", DatabaseKey(raw=bytes(range(32))), create=True)
    yield laptop, desktop
    laptop.close()
    desktop.close()


def practise(storage: StorageThread, session_id: str, scenario_id: str, level: int, word: str) -> None:
    record, report = scored_session(session_id, scenario_id, level, word)
    storage.call(lambda repo: repo.save_session(session_id, record, "finished", with_audio=False))
    storage.call(lambda repo: repo.save_feedback(session_id, report))


def test_real_profiles_converge_through_the_engine_and_after_the_server_loses_its_log(
        two_profiles: tuple[StorageThread, StorageThread]) -> None:
    laptop, desktop = two_profiles
    practise(laptop, "20261201-090000-a", "nursing-insulin-start-driver", 1, "zanthoxylum")
    practise(desktop, "20261202-090000-b", "nursing-child-asthma-inhalers", 3, "quincunxial")
    server = FakeServer()

    def sync(storage: StorageThread, key: bytes | None = KEY) -> Any:
        return SyncEngine(server, storage.call, key).sync_once()

    def views() -> list[Any]:
        return [(s.call(lambda repo: [(x.session_id, x.estimate, x.scores) for x in repo.list_sessions()]),
                 s.call(lambda repo: repo.practised())) for s in (laptop, desktop)]

    for storage in (laptop, desktop, laptop):
        sync(storage)
    first = views()
    assert first[0] == first[1]
    assert len(first[0][0]) == 2

    # Details: sealed on the way, opened with the same key on the other side.
    for storage in (laptop, desktop):
        storage.call(lambda repo: repo.set_sync_details(True))
    for storage in (laptop, desktop):
        sync(storage)
    desktop.call(lambda repo: repo.set_sync_cursor(""))
    sync(desktop)
    opened = desktop.call(lambda repo: repo.load_feedback("20261201-090000-a"))
    assert opened is not None
    assert opened.transcript[0].text == "About the zanthoxylum leaflet."
    wire = json.dumps([c.to_json() for c in server.log])
    assert "zanthoxylum" not in wire
    assert "quincunxial" not in wire

    # The server is restored from an old backup: most of its log is gone. The next sync notices, pushes
    # everything the computer holds again (other computers' changes too, under their versions' keys) and both
    # profiles still agree.
    del server.log[3:]
    report = sync(desktop)
    assert report.resynced
    sync(laptop)
    assert {(c.entity, c.entity_id) for c in server.log} >= {
        ("session", "20261201-090000-a"), ("session", "20261202-090000-b"), ("feedback", "20261201-090000-a"),
        ("feedback", "20261202-090000-b"), ("session_detail", "20261201-090000-a")}
    size = len(server.log)
    for storage in (laptop, desktop):
        assert sync(storage).pushed == 0
    assert len(server.log) == size
    assert views() == first
