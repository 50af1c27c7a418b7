"""Faults (issue 15's acceptance test): two computers of one candidate sync through a proxy that drops requests,
drops answers after the server committed, delays requests, answers 500, and restarts the server mid-push, for
500+ rounds with local changes between them (new scored role-plays, re-scored feedback, profile edits, synced
settings, deletions). Afterwards both profiles hold the same sessions, scores, profile and settings; every entity
either computer changed ends at the newest change made to it, on both (0 lost); no session is held twice, no
practice counted twice, and the server's log keeps every version once (0 duplicated). Also: the app SIGKILLed
mid-push, mid-pull and at random moments loses and doubles nothing, and a server restored from an older backup
(pg_dump, then the database dropped and pg_restore'd) makes both computers resync, losing nothing.

Real pieces throughout: the account server on PostgreSQL, the app's AccountClient and SyncEngine, SQLCipher
profiles through the storage thread. The figures go to bench-results/sync-faults.json."""

from __future__ import annotations

import functools
import json
import logging
import os
import random
import secrets
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

import pytest

from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.repository import Profile, ProfileRepository
from oet_desktop.core.storage.sync_store import SYNCED_SETTINGS
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.core.sync import engine as engine_module
from oet_desktop.core.sync.client import AccountClient, MemoryTokens, Offline, ServerUnavailable
from oet_desktop.core.sync.engine import SyncEngine, SyncReport
from tests.results import write_result
from tests.server.live import PASSWORD, REPO, LiveServer, register_verified
from tests.server.postgres import ThrowawayPostgres
from tests.server.smtp import MailCatcher
from tests.sync_faults import FaultProxy
from tests.sync_samples import scored_session

pytestmark = [pytest.mark.server, pytest.mark.postgres]
T = TypeVar("T")

ROUNDS = 520
"""Sync rounds of the fault run, alternating between the two computers."""
FAULT_RATE = 0.25
"""Share of requests the proxy faults (drop the request, drop the answer, delay, 500: a quarter each)."""
RESTART_PUSHES = (25, 90, 160, 230)
"""The pushes (counted by the proxy) during which the server is restarted."""
SEED = 15
DETAILS_KEY = bytes(range(7, 39))
"""The sealing key both computers derived from the same sync passphrase (practice details sync, sealed)."""
SCENARIOS = ("nursing-insulin-start-driver", "nursing-child-asthma-inhalers", "nursing-falls-ed-daughter")
UNSET = "(unset)"
RETRIED = (Offline, ServerUnavailable)
"""What a sync under these faults may end with: the app keeps the changes and syncs again later."""
FIGURES: dict[str, Any] = {}
"""Every test's figures, written together to bench-results/sync-faults.json."""


# --- the server, the proxy and the account ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster() -> Iterator[ThrowawayPostgres]:
    with ThrowawayPostgres() as postgres:
        yield postgres


@pytest.fixture(scope="module")
def mail() -> Iterator[MailCatcher]:
    with MailCatcher() as catcher:
        yield catcher


@dataclass
class Stack:
    """A real server on its own PostgreSQL database, the fault proxy in front of it, and (per test) a verified
    account."""

    cluster: ThrowawayPostgres
    database: str
    server: LiveServer
    proxy: FaultProxy
    email: str = ""

    def log_rows(self) -> tuple[int, int, int]:
        """The account's sync log on the server: rows, distinct keys, distinct versions (entity, id, change time,
        origin)."""
        with self.cluster.connect(self.database) as db:
            row = db.execute("SELECT count(*), count(DISTINCT key), count(DISTINCT (entity, entity_id, changed_at, "
                             "origin)) FROM sync_changes WHERE user_id = (SELECT id FROM users WHERE email = %s)",
                             (self.email,)).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]), int(row[2])


@pytest.fixture(scope="module")
def servers(cluster: ThrowawayPostgres, mail: MailCatcher, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Stack]:
    """The server and the proxy, shared by the module's tests (each has its own account)."""
    database = "faults_" + secrets.token_hex(4)
    url = cluster.create_database(database)
    with LiveServer(url, tmp_path_factory.mktemp("server"), mail=mail) as server, FaultProxy(server.url) as proxy:
        def restart() -> None:
            server.start()

        proxy.stop_server, proxy.start_server = server.stop, restart
        yield Stack(cluster, database, server, proxy)


@pytest.fixture
def stack(servers: Stack, mail: MailCatcher) -> Stack:
    """A new verified account on the shared server, and the proxy passing everything, its RNG seeded."""
    servers.proxy.reset(SEED)
    helper, email = register_verified(servers.server, mail)
    helper.close()
    return replace(servers, email=email)


class ResyncCounter(logging.Handler):
    """Counts the engine's "pulling and pushing everything again" warnings (one per resync)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "everything again" in record.getMessage():
            self.count += 1


@pytest.fixture
def resyncs() -> Iterator[ResyncCounter]:
    counter = ResyncCounter()
    logger = logging.getLogger(engine_module.__name__)
    logger.addHandler(counter)
    try:
        yield counter
    finally:
        logger.removeHandler(counter)


# --- the two computers -----------------------------------------------------------------------------------------
@dataclass
class Device:
    """One computer: its own SQLCipher profile on a storage thread and its own account client, via the proxy."""

    name: str
    path: Path
    key: DatabaseKey
    tokens: MemoryTokens
    client: AccountClient
    storage: StorageThread
    made: int = 0

    @classmethod
    def create(cls, name: str, folder: Path, stack: Stack) -> Device:
        key, path = DatabaseKey(raw=secrets.token_bytes(32)), folder / f"{name}.db"
        storage = StorageThread(path, key, create=True)
        storage.call(lambda repo: repo.set_sync_details(True))  # before any practice: nothing to re-queue
        client_id = storage.call(lambda repo: repo.sync_client_id())
        tokens = MemoryTokens()
        client = AccountClient(stack.proxy.url, tokens)
        client.login(stack.email, PASSWORD, f"The {name}", client_id)
        return cls(name, path, key, tokens, client, storage)

    def call(self, work: Callable[[ProfileRepository], T]) -> T:
        return self.storage.call(work)

    def sync(self, push_batch: int = 6, pull_page: int = 10) -> SyncReport:
        """One sync as the app makes it (small batches and pages, so a sync is several requests)."""
        return SyncEngine(self.client, self.storage.call, DETAILS_KEY, push_batch=push_batch,
                          pull_page=pull_page).sync_once()

    def close_profile(self) -> None:
        self.storage.close()

    def reopen_profile(self) -> None:
        self.storage = StorageThread(self.path, self.key)

    def close(self) -> None:
        self.client.close()
        self.storage.close()


@pytest.fixture
def devices(stack: Stack, tmp_path: Path) -> Iterator[tuple[Device, Device]]:
    laptop, desktop = Device.create("laptop", tmp_path, stack), Device.create("desktop", tmp_path, stack)
    yield laptop, desktop
    laptop.close()
    desktop.close()


# --- what each computer did ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Change:
    """One change a computer made: the entity, the version it got (change time, origin), and what it says."""

    device: str
    entity: str
    entity_id: str
    version: tuple[str, str]
    op: str
    value: Any


@dataclass
class Ledger:
    """Every change either computer made, in order."""

    changes: list[Change] = field(default_factory=list)
    kinds: Counter[str] = field(default_factory=Counter)

    def add(self, device: Device, entity: str, entity_id: str, version: tuple[str, str] | None, op: str,
            value: Any) -> None:
        assert version is not None, (entity, entity_id)
        self.changes.append(Change(device.name, entity, entity_id, version, op, value))

    def newest(self) -> dict[tuple[str, str], Change]:
        """Per entity, the change that must win everywhere (the newest version: last writer wins)."""
        newest: dict[tuple[str, str], Change] = {}
        for change in self.changes:
            held = newest.get((change.entity, change.entity_id))
            if held is None or change.version > held.version:
                newest[(change.entity, change.entity_id)] = change
        return newest


@functools.cache
def level_scores(level: int) -> tuple[int, dict[str, int | None]]:
    """The estimate and nine scores of a sample report scored at ``level``."""
    _, report = scored_session("20261201-000000-x", SCENARIOS[0], level, "x")
    assert report.estimate is not None
    return report.estimate.score, {c.criterion.value: c.score for c in report.criteria}


def practise(device: Device, ledger: Ledger, rng: random.Random) -> None:
    """A new role-play, finished and scored."""
    number = device.made
    device.made += 1
    session_id = f"202612{1 + number % 28:02d}-{number:06d}-{device.name}"
    scenario, level = rng.choice(SCENARIOS), rng.randint(1, 6)
    record, report = scored_session(session_id, scenario, level, device.name)

    def work(repo: ProfileRepository) -> tuple[Any, Any]:
        repo.save_session(session_id, record, "finished", with_audio=False)
        session = repo._version("session", session_id)
        repo.save_feedback(session_id, report)
        return session, repo._version("feedback", session_id)

    session_version, feedback_version = device.call(work)
    ledger.add(device, "session", session_id, session_version, "upsert", scenario)
    ledger.add(device, "feedback", session_id, feedback_version, "upsert", level)
    ledger.kinds["practised"] += 1


def rescore(device: Device, ledger: Ledger, rng: random.Random) -> None:
    """One of this computer's role-plays scored again (where it was practised: its audio is there)."""
    own = device.call(lambda repo: [(s.session_id, s.scenario_id) for s in repo.list_sessions()
                                    if repo.session_origin(s.session_id) is None])
    if not own:
        practise(device, ledger, rng)
        return
    session_id, scenario = rng.choice(own)
    level = rng.randint(1, 6)
    _, report = scored_session(session_id, scenario, level, device.name)

    def work(repo: ProfileRepository) -> Any:
        repo.save_feedback(session_id, report)
        return repo._version("feedback", session_id)

    ledger.add(device, "feedback", session_id, device.call(work), "upsert", level)
    ledger.kinds["rescored"] += 1


def edit_profile(device: Device, ledger: Ledger, rng: random.Random) -> None:
    value = (f"Amira on the {device.name} #{len(ledger.changes)}", rng.choice(("nursing", "medicine", "pharmacy")))

    def work(repo: ProfileRepository) -> Any:
        repo.save_profile(Profile(*value))
        return repo._version("profile", "1")

    ledger.add(device, "profile", "1", device.call(work), "upsert", value)
    ledger.kinds["profile_edits"] += 1


SETTING_VALUES: dict[str, tuple[Any, ...]] = {"endpoint_ms": tuple(range(300, 1600, 100)),
                                              "turn_mode": ("half_duplex", "full_duplex"),
                                              "audio_retention_days": (7, 30, 90, None)}


def change_setting(device: Device, ledger: Ledger, rng: random.Random) -> None:
    key = rng.choice(SYNCED_SETTINGS)
    value = rng.choice(SETTING_VALUES[key])

    def work(repo: ProfileRepository) -> Any:
        repo.save_setting(key, value)
        return repo._version("setting", key)

    ledger.add(device, "setting", key, device.call(work), "upsert", value)
    ledger.kinds["setting_changes"] += 1


def delete(device: Device, ledger: Ledger, rng: random.Random) -> None:
    """A role-play deleted from the history (this computer's or another's)."""
    held = device.call(lambda repo: [s.session_id for s in repo.list_sessions()])
    if not held:
        return
    session_id = rng.choice(held)

    def work(repo: ProfileRepository) -> Any:
        assert repo.delete_session(session_id)
        return repo._version("session", session_id)

    ledger.add(device, "session", session_id, device.call(work), "delete", None)
    ledger.kinds["deletions"] += 1


ACTIONS: tuple[tuple[Callable[[Device, Ledger, random.Random], None], float], ...] = (
    (practise, 4.0), (rescore, 2.0), (edit_profile, 1.0), (change_setting, 1.5), (delete, 0.6))


def act(device: Device, ledger: Ledger, rng: random.Random) -> None:
    """What the candidate does on a computer between two syncs: nothing, or one or two changes."""
    for _ in range(rng.choices((0, 1, 2), (3, 5, 2))[0]):
        action = rng.choices([a for a, _ in ACTIONS], [w for _, w in ACTIONS])[0]
        action(device, ledger, rng)


def settle(devices: tuple[Device, ...]) -> int:
    """Sync every computer in turn until a whole pass sends and applies nothing; the passes it took."""
    for passes in range(1, 11):
        reports = [device.sync() for device in devices]
        if all(r.pushed == 0 and r.applied == 0 and r.pending_after == 0 for r in reports):
            return passes
    raise AssertionError(f"sync did not settle: {reports}")


# --- checking --------------------------------------------------------------------------------------------------
def observe(device: Device, entities: list[tuple[str, str]]) -> dict[str, Any]:
    """Everything the checks compare, read from one profile."""

    def read(repo: ProfileRepository) -> dict[str, Any]:
        sessions = repo.list_sessions()
        ids = [s.session_id for s in sessions]
        profile = repo.profile()
        reports = {session_id: repo.load_feedback(session_id) for session_id in ids}
        stored = {session_id: repo.load_session(session_id) for session_id in ids}
        return {
            "ids": ids,
            "sessions": {s.session_id: (s.scenario_id, s.status, s.estimate, s.scores) for s in sessions},
            "practised": {scenario: count for scenario, (count, _) in repo.practised().items()},
            "profile": None if profile is None else (profile.name, profile.profession),
            "settings": {key: repo.setting(key, UNSET) for key in SYNCED_SETTINGS},
            "progress": repo.progress_summaries(),
            "reports": {k: None if r is None else r.as_dict() for k, r in reports.items()},
            "turns": {k: None if s is None else s.data["turns"] for k, s in stored.items()},
            "versions": {entity: repo._version(*entity) for entity in entities},
            "pending": repo.sync_status().pending,
        }

    return device.call(read)


def verify(stack: Stack, computers: tuple[Device, Device], ledger: Ledger, folder: Path, *,
           server_duplicates_allowed: bool = False) -> dict[str, Any]:
    """Counts, over everything (not a sample): both computers, and a new third one that signs in now and syncs
    once (so the server's log itself must hold everything), hold the newest change of every entity either one
    changed, the same sessions, scores, reports, progress, profile and settings, and nothing twice."""
    newcomer = Device.create("newcomer", folder, stack)
    try:
        assert newcomer.sync(pull_page=500).pushed == 0
        return _verify(stack, (*computers, newcomer), ledger, server_duplicates_allowed)
    finally:
        newcomer.close()


def _verify(stack: Stack, devices: tuple[Device, ...], ledger: Ledger, server_duplicates_allowed: bool
            ) -> dict[str, Any]:
    newest = ledger.newest()
    alive = {entity_id for (entity, entity_id), c in newest.items() if entity == "session" and c.op == "upsert"}
    expected_sessions = {}
    for session_id in alive:
        estimate, scores = level_scores(newest[("feedback", session_id)].value)
        expected_sessions[session_id] = (newest[("session", session_id)].value, "finished", estimate, scores)
    expected_practised = dict(Counter(newest[("session", s)].value for s in alive))
    profile = newest.get(("profile", "1"))
    expected_profile = None if profile is None else profile.value
    expected_settings = {key: newest[("setting", key)].value if ("setting", key) in newest else UNSET
                         for key in SYNCED_SETTINGS}
    # The versions to hold: every entity's newest change, except the scores of a deleted role-play (gone with it).
    checked = [entity for entity in newest if not (entity[0] == "feedback" and entity[1] not in alive)]
    views = [observe(device, checked) for device in devices]

    lost = duplicated = 0
    problems: list[str] = []
    for device, view in zip(devices, views, strict=True):
        ids = set(view["ids"])
        duplicated += len(view["ids"]) - len(ids)
        lost += len(alive - ids) + len(ids - alive)
        problems += [f"{device.name}: missing {s}" for s in sorted(alive - ids)]
        problems += [f"{device.name}: holds deleted {s}" for s in sorted(ids - alive)]
        for session_id in alive & ids:
            if view["sessions"][session_id] != expected_sessions[session_id]:
                lost += 1
                problems.append(f"{device.name}: {session_id} is {view['sessions'][session_id]}, "
                                f"expected {expected_sessions[session_id]}")
            if view["reports"][session_id] is None or not view["turns"][session_id]:
                lost += 1
                problems.append(f"{device.name}: {session_id} has no full report or transcript")
        for scenario in set(expected_practised) | set(view["practised"]):
            have, want = view["practised"].get(scenario, 0), expected_practised.get(scenario, 0)
            duplicated += max(0, have - want)
            lost += max(0, want - have)
            if have != want:
                problems.append(f"{device.name}: {scenario} practised {have} times, expected {want}")
        if view["profile"] != expected_profile:
            lost += 1
            problems.append(f"{device.name}: profile {view['profile']}, expected {expected_profile}")
        for key, want in expected_settings.items():
            if view["settings"][key] != want:
                lost += 1
                problems.append(f"{device.name}: setting {key} = {view['settings'][key]!r}, expected {want!r}")
        for entity in checked:
            if view["versions"][entity] != newest[entity].version:
                lost += 1
                problems.append(f"{device.name}: {entity} at {view['versions'][entity]}, expected "
                                f"{newest[entity].version} (by the {newest[entity].device})")
        if view["pending"]:
            problems.append(f"{device.name}: {view['pending']} change(s) still waiting")
    for device, view in zip(devices[1:], views[1:], strict=True):
        for part in ("sessions", "practised", "profile", "settings", "progress", "reports", "turns"):
            if view[part] != views[0][part]:
                problems.append(f"the {devices[0].name}'s and the {device.name}'s {part} differ")
    rows, keys, versions = stack.log_rows()
    server_duplicates = rows - versions
    assert rows == keys
    if not server_duplicates_allowed:
        duplicated += server_duplicates
    summary = f"lost={lost} duplicated={duplicated} server_log_duplicate_versions={server_duplicates}"
    assert not problems, summary + "\n" + "\n".join(problems[:40])
    assert (lost, duplicated) == (0, 0), summary
    return {"changes_made": len(ledger.changes), **dict(sorted(ledger.kinds.items())),
            "entities_checked": len(checked) * len(devices), "sessions_held": len(alive),
            "sessions_deleted": sum(1 for (e, _), c in newest.items() if e == "session" and c.op == "delete"),
            "lost": lost, "duplicated": duplicated, "server_log_rows": rows,
            "server_log_duplicate_versions": server_duplicates}


def record(name: str, figures: dict[str, Any]) -> None:
    FIGURES[name] = figures
    print(f"\n{name}: " + json.dumps(figures, default=str))
    write_result("sync-faults", FIGURES)


# --- the tests -------------------------------------------------------------------------------------------------
def test_500_rounds_under_faults_lose_and_double_nothing(stack: Stack, devices: tuple[Device, Device],
                                                        resyncs: ResyncCounter, tmp_path: Path) -> None:
    started = time.monotonic()
    rng, ledger = random.Random(SEED), Ledger()
    proxy = stack.proxy
    proxy.restart_on_pushes = {proxy.pushes + n for n in RESTART_PUSHES}
    proxy.fault_rate = FAULT_RATE
    outcomes: Counter[str] = Counter()
    for round_ in range(ROUNDS):
        device = devices[round_ % 2]
        act(device, ledger, rng)
        try:
            device.sync()
        except RETRIED as error:  # the app keeps everything and tries again at the next sync
            outcomes[f"retried ({type(error).__name__})"] += 1
        else:
            outcomes["completed"] += 1
    faulted = time.monotonic() - started
    proxy.fault_rate = 0.0
    done = proxy.faults()
    assert done.get("restart_after_commit", 0) + done.get("restart_before_forward", 0) == len(RESTART_PUSHES)
    passes = settle(devices)
    figures = verify(stack, devices, ledger, tmp_path)
    assert resyncs.count == 0  # faults and restarts never make the log and a cursor disagree
    assert sum(outcomes.values()) == ROUNDS >= 500
    assert outcomes["completed"] > ROUNDS // 3
    record("faults", {"rounds": ROUNDS, "rounds_by_outcome": dict(outcomes), "fault_rate": FAULT_RATE,
                      "proxy": done, "server_restarts": len(RESTART_PUSHES), "settle_passes": passes, **figures,
                      "seconds_faulted": round(faulted, 1), "seconds": round(time.monotonic() - started, 1)})


def spawn(device: Device, stack: Stack, output: Path, *, push_batch: int, pull_page: int) -> subprocess.Popen[bytes]:
    """The app syncing this computer's profile in its own process (tests/sync_faults.py's main), via the proxy."""
    tokens = device.tokens.get()
    assert tokens is not None
    assert device.key.raw is not None
    env = {**os.environ, "PYTHONPATH": str(REPO), "OET_FAULTS_TOKENS": json.dumps(tokens.as_json()),
           "OET_FAULTS_PROFILE_KEY": device.key.raw.hex(), "OET_FAULTS_DETAILS_KEY": DETAILS_KEY.hex()}
    with output.open("ab") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.sync_faults", "--profile", str(device.path),
                                 "--server", stack.proxy.url, "--push-batch", str(push_batch),
                                 "--pull-page", str(pull_page)], cwd=REPO, env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def kill_while_held(device: Device, stack: Stack, output: Path, method: str, nth: int, *,
                    before_forward: bool = False) -> None:
    """Sync ``device`` in its own process and SIGKILL it while the proxy holds its ``nth`` ``method`` sync
    request: after the server has done what was asked, or with ``before_forward`` before the server saw it."""
    device.close_profile()
    stall = stack.proxy.stall(method, nth=nth, before_forward=before_forward)
    child = spawn(device, stack, output, push_batch=6, pull_page=10)
    try:
        assert stall.held.wait(60), output.read_text(errors="replace")
    finally:
        child.kill()
        child.wait()
        stall.release.set()
    assert child.returncode == -9
    device.reopen_profile()


def test_the_app_killed_mid_sync_loses_and_doubles_nothing(stack: Stack, devices: tuple[Device, Device],
                                                           resyncs: ResyncCounter, tmp_path: Path) -> None:
    started = time.monotonic()
    laptop, desktop = devices
    rng, ledger = random.Random(SEED + 1), Ledger()
    for _ in range(24):
        practise(laptop, ledger, rng)
    edit_profile(laptop, ledger, rng)
    change_setting(laptop, ledger, rng)
    queued = laptop.call(lambda repo: repo.sync_status().pending)
    output = tmp_path / "child.log"

    # Killed mid-push: the second push never reached the server (the first was answered).
    kill_while_held(laptop, stack, output, "POST", 2, before_forward=True)
    left = laptop.call(lambda repo: repo.sync_status().pending)
    assert 0 < left < queued
    assert stack.log_rows()[0] > 0
    # Killed mid-push again: the (new) third push was committed by the server, its answer never arrived.
    kill_while_held(laptop, stack, output, "POST", 3)
    assert 0 < laptop.call(lambda repo: repo.sync_status().pending) < left
    report = laptop.sync()
    assert report.pending_after == 0
    assert stack.log_rows()[0] == stack.log_rows()[2]  # the batch sent again was kept once

    # Killed mid-pull: two pages applied (the cursor moved with them), the third answered but never applied.
    kill_while_held(desktop, stack, output, "GET", 3)
    partial = desktop.call(lambda repo: (repo.session_count(), repo.sync_status().cursor))
    assert 0 < partial[0] < 24
    assert partial[1]
    desktop.sync()

    # Killed at random moments of syncs slowed down by the proxy, after more changes on both computers.
    stack.proxy.extra_delay = 0.03
    kills: Counter[str] = Counter()
    for attempt in range(4):
        for device in devices:
            for _ in range(3):
                act(device, ledger, rng)
            practise(device, ledger, rng)
        victim = devices[attempt % 2]
        victim.close_profile()
        seen = stack.proxy.faults().get("requests", 0)
        child = spawn(victim, stack, output, push_batch=3, pull_page=4)
        assert stack.proxy.wait_for_requests(seen + 1), output.read_text(errors="replace")
        time.sleep(rng.uniform(0.0, 0.4))
        finished = child.poll() is not None
        child.kill()
        child.wait()
        kills["finished before the kill" if finished else "killed"] += 1
        victim.reopen_profile()
    stack.proxy.extra_delay = 0.0
    passes = settle(devices)
    figures = verify(stack, devices, ledger, tmp_path)
    assert resyncs.count == 0
    assert kills["killed"] >= 2
    record("killed", {"kills": {"mid_push": 2, "mid_pull": 1, **dict(kills)}, "settle_passes": passes, **figures,
                      "seconds": round(time.monotonic() - started, 1)})


def test_a_server_restored_from_an_older_backup_resyncs_losing_nothing(
        stack: Stack, devices: tuple[Device, Device], resyncs: ResyncCounter, tmp_path: Path) -> None:
    started = time.monotonic()
    laptop, desktop = devices
    rng, ledger = random.Random(SEED + 2), Ledger()
    for round_ in range(30):
        act(devices[round_ % 2], ledger, rng)
        practise(devices[round_ % 2], ledger, rng)
    settle(devices)
    cluster, database = stack.cluster, stack.database
    backup = tmp_path / "accounts.dump"
    connection = ("-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres")
    subprocess.run([str(cluster.bindir / "pg_dump"), *connection, "-Fc", "-f", str(backup), database], check=True,
                   capture_output=True, timeout=120)
    in_backup = stack.log_rows()[0]

    # After the backup: more practice on both computers, all of it synced (both cursors move past the backup).
    for round_ in range(20):
        act(devices[round_ % 2], ledger, rng)
        practise(devices[round_ % 2], ledger, rng)
        if round_ % 7 == 3:
            delete(devices[round_ % 2], ledger, rng)
    for device in (laptop, desktop, laptop):
        device.sync()
    lost_by_restore = stack.log_rows()[0] - in_backup
    assert lost_by_restore > 0

    # The server is restored from the backup: stopped, its database dropped, re-created and restored.
    stack.server.stop()
    cluster.drop_database(database)
    cluster.create_database(database)
    subprocess.run([str(cluster.bindir / "pg_restore"), *connection, "-d", database, "--no-owner", str(backup)],
                   check=True, capture_output=True, timeout=120)
    stack.server.start()
    assert stack.log_rows()[0] == in_backup

    # The candidate practises on before syncing; then both computers sync, under faults, then until quiet.
    practise(laptop, ledger, rng)
    edit_profile(desktop, ledger, rng)
    report = laptop.sync()
    assert report.resynced
    stack.proxy.fault_rate = FAULT_RATE
    outcomes: Counter[str] = Counter()
    for round_ in range(40):
        device = devices[(round_ + 1) % 2]
        act(device, ledger, rng)
        try:
            device.sync()
            outcomes["completed"] += 1
        except RETRIED as error:
            outcomes[f"retried ({type(error).__name__})"] += 1
    stack.proxy.fault_rate = 0.0
    passes = settle(devices)
    figures = verify(stack, devices, ledger, tmp_path, server_duplicates_allowed=True)
    assert resyncs.count >= 2  # each computer's cursor pointed past the restored log
    record("restored_backup", {"server_rows_in_backup": in_backup, "server_rows_lost_by_restore": lost_by_restore,
                               "resyncs": resyncs.count, "rounds_after_restore": dict(outcomes),
                               "settle_passes": passes, **figures, "seconds": round(time.monotonic() - started, 1)})
