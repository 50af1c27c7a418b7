"""The profile's side of sync (see docs/sync.md): this install's client id, the pull cursor, the version held of
every synced entity (change time and origin, for last-writer-wins), the outbox turned into wire changes, and
pulled changes applied. Mixed into :class:`~oet_desktop.core.storage.repository.ProfileRepository`; used only on
the storage thread. The wire format is spoken here as plain dicts: the core never imports the server."""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import sqlcipher3

from oet_desktop.core.assessment.criteria import Criterion
from oet_desktop.core.assessment.progress import SessionSummary, summarise
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.storage.database import Connection

log = logging.getLogger(__name__)

FINAL_STATUSES = ("finished", "ended_early", "interrupted")
PRACTISED_STATUSES = ("finished", "ended_early")
SYNCED_SETTINGS = ("endpoint_ms", "turn_mode", "audio_retention_days")
"""The settings that follow the candidate; every other setting (devices, models, servers) stays on the computer."""
DETAIL_OF = {"session": "session_detail", "feedback": "feedback_report"}
"""The opt-in, sealed entity that goes with a summary entity."""
PARENT_OF = {detail: parent for parent, detail in DETAIL_OF.items()}
ENTITIES = ("profile", "setting", "session", "feedback", "session_detail", "feedback_report")
SEALED_ENTITIES = ("session_detail", "feedback_report")
"""Changes of these entities carry a sealed payload on the wire (the engine seals and opens them)."""
_CRITERIA = {c.value: c for c in Criterion}

Version = tuple[str, str]
"""(changed_at, origin) of a change: the newer one wins, the origin breaking a tie."""


def canonical_time(value: str) -> str:
    """An ISO 8601 time in the one form versions are compared in: UTC, milliseconds, ``+00:00``
    (``2026-12-01T09:14:03.120+00:00``). The server answers ``…03.120000Z``; both give the same string, so use
    this on a pulled ``changed_at`` before comparing it or using it as associated data. Raises ValueError."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).isoformat(timespec="milliseconds")


def _just_after(value: str) -> str:
    return (datetime.fromisoformat(value) + timedelta(milliseconds=1)).astimezone(UTC).isoformat(
        timespec="milliseconds")


def version_key(entity: str, entity_id: str, changed_at: str, origin: str) -> str:
    """A change's deterministic idempotency key (32 hex characters): the same version always gets the same
    key, so the server keeps it once however often it is sent."""
    return hashlib.sha256(f"{entity}|{entity_id}|{changed_at}|{origin}".encode()).hexdigest()[:32]


def new_client_id() -> str:
    """A random id for an app install (22 URL-safe characters)."""
    return secrets.token_urlsafe(16)


def session_duration(turns: list[dict[str, Any]]) -> float:
    """Seconds from the start of the timeline to the last thing said (as the feedback measures it)."""
    ends = [0.0]
    for turn in turns:
        if str(turn.get("candidate_text", "")).strip():
            ends.append(float(turn.get("candidate_end", 0.0)))
        heard = turn.get("heard_seconds")
        seconds = heard if heard is not None else turn.get("reply_seconds", 0.0)
        if str(turn.get("reply_text", "")).strip():
            ends.append(float(turn.get("reply_start", 0.0)) + float(seconds or 0.0))
    return round(max(ends), 1)


def feedback_summary(report: FeedbackReport) -> dict[str, Any]:
    """What the ``feedback`` entity carries: the part of a report progress needs."""
    summary = summarise(report)
    return {"estimate": summary.estimate, "grade": summary.grade,
            "scores": {c.value: score for c, score in summary.scores.items()}, "taken_at": summary.taken_at,
            "scenario_id": summary.scenario_id, "scenario_title": summary.scenario_title,
            "profession": summary.profession}


def summary_from_data(session_id: str, data: Mapping[str, Any]) -> SessionSummary:
    """A stored ``feedback`` summary as a row of progress (criteria this version does not know are left out)."""
    scores = {_CRITERIA[k]: v for k, v in dict(data.get("scores") or {}).items() if k in _CRITERIA}
    return SessionSummary(session_id, data.get("taken_at"), str(data.get("scenario_id", "")),
                          str(data.get("scenario_title", "")), str(data.get("profession", "")), scores,
                          data.get("estimate"), data.get("grade"))


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not serialisable: {type(value).__name__}")


def dumps_json(value: Any) -> str:
    """JSON text as the profile stores it (NumPy numbers as plain numbers, non-ASCII kept)."""
    return json.dumps(value, default=_json_default, ensure_ascii=False)


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected a whole number, got {type(value).__name__}")
    return value


def _optional_float(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    return float(value)


def _clean_summary(data: Mapping[str, Any]) -> dict[str, Any]:
    scores = data["scores"]
    if not isinstance(scores, dict):
        raise TypeError("scores must be an object")
    return {"estimate": _optional_int(data.get("estimate")), "grade": _optional_text(data.get("grade")),
            "scores": {_text(k): _optional_int(v) for k, v in scores.items()},
            "taken_at": _optional_text(data.get("taken_at")), "scenario_id": _text(data["scenario_id"]),
            "scenario_title": _text(data.get("scenario_title", "")), "profession": _text(data.get("profession", ""))}


@dataclass(frozen=True)
class SyncStatus:
    """Where this profile stands with sync."""

    client_id: str
    cursor: str
    last_synced_at: str | None
    pending: int
    """Changes waiting in the outbox."""
    details: bool
    """Whether practice details (transcripts, full reports) are synced, sealed."""


@dataclass(frozen=True)
class OutboxChange:
    """A change ready to push. ``data`` is plaintext: for entities in :data:`SEALED_ENTITIES` the engine seals it
    (and sends ``data: null``). Several changes can share a ``seq`` (a summary and its detail); drop the seq
    once the server has answered for all of them."""

    seq: int
    key: str
    entity: str
    entity_id: str
    op: str
    changed_at: str
    data: dict[str, Any] | None
    origin: str = ""
    """The version's origin: this install's client id, or another computer's for a change re-sent in a full
    resync. Always filled by :meth:`SyncStore.outbox_batch`; send it as the wire ``origin``."""

    @property
    def sealed(self) -> bool:
        """True when this change must be sealed before it is sent."""
        return self.entity in SEALED_ENTITIES

    def to_wire(self, sealed: str | None = None) -> dict[str, Any]:
        """The change as JSON for a push (``sealed``: the sealed blob of a detail change, which then carries
        no plain data)."""
        return {"key": self.key, "entity": self.entity, "entity_id": self.entity_id, "op": self.op,
                "changed_at": self.changed_at, "origin": self.origin,
                "data": None if sealed is not None else self.data, "sealed": sealed}


@dataclass(frozen=True)
class RemoteChange:
    """A pulled change, opened: ``data`` is the plaintext (None for a delete, or for a sealed change the engine
    could not open, which then has ``sealed`` True and is skipped)."""

    key: str
    entity: str
    entity_id: str
    op: str
    changed_at: str
    origin: str
    data: dict[str, Any] | None
    sealed: bool = False

    @classmethod
    def from_wire(cls, raw: Mapping[str, Any], data: dict[str, Any] | None = None) -> RemoteChange:
        """A pulled wire change; ``data`` replaces the plain data (the opened payload of a sealed one)."""
        return cls(str(raw["key"]), str(raw["entity"]), str(raw["entity_id"]), str(raw["op"]),
                   str(raw["changed_at"]), str(raw["origin"]), data if data is not None else raw.get("data"),
                   raw.get("sealed") is not None)


@dataclass(frozen=True)
class ApplyResult:
    """What :meth:`SyncStore.apply_remote` did with a page of changes."""

    applied: int
    skipped: int
    """Older than the version held, already applied, sealed and unopened, not synced here, or malformed."""


@dataclass(frozen=True)
class _OutboxRow:
    seq: int
    entity: str
    entity_id: str
    op: str
    key: str
    changed_at: str
    origin: str


class SyncStore:
    """Sync bookkeeping over the profile's connection (the repository provides ``_db``, ``_now`` and
    ``_transaction``)."""

    _db: Connection
    _now: Callable[[], str]

    def _transaction(self) -> AbstractContextManager[None]:
        raise NotImplementedError

    # --- state ---------------------------------------------------------------------------------------
    def sync_client_id(self) -> str:
        """This install's id (the ``origin`` of its changes), made once (by the schema-3 migration)."""
        row = self._db.execute("SELECT client_id FROM sync_state WHERE id = 1").fetchone()
        if row is None:
            self._db.execute("INSERT OR IGNORE INTO sync_state (id, client_id) VALUES (1, ?)", (new_client_id(),))
            row = self._db.execute("SELECT client_id FROM sync_state WHERE id = 1").fetchone()
        return str(row[0])

    def sync_cursor(self) -> str:
        """Where the last pull ended ('' for the start)."""
        self.sync_client_id()
        return str(self._db.execute("SELECT cursor FROM sync_state WHERE id = 1").fetchone()[0])

    def set_sync_cursor(self, cursor: str) -> None:
        """Remember where the last pull ended."""
        with self._transaction():
            self.sync_client_id()
            self._db.execute("UPDATE sync_state SET cursor = ? WHERE id = 1", (cursor,))

    def sync_details_enabled(self) -> bool:
        """Whether practice details (transcripts and full reports) are synced."""
        self.sync_client_id()
        return bool(self._db.execute("SELECT details FROM sync_state WHERE id = 1").fetchone()[0])

    def set_sync_details(self, enabled: bool) -> None:
        """Turn detail sync on or off. Turning it on queues the details of everything already here (with their
        versions' keys, so a detail the server has is not stored twice)."""
        with self._transaction():
            before = self.sync_details_enabled()
            self._db.execute("UPDATE sync_state SET details = ? WHERE id = 1", (int(enabled),))
            if enabled and not before:
                client = self.sync_client_id()
                for entity, entity_id in self._live_details():
                    self._queue_version(entity, entity_id, "upsert", client)

    def mark_synced(self, at: str) -> None:
        """Record when a sync last completed."""
        with self._transaction():
            self.sync_client_id()
            self._db.execute("UPDATE sync_state SET last_synced_at = ? WHERE id = 1", (at,))

    def sync_status(self) -> SyncStatus:
        """Client id, cursor, last sync, changes waiting and whether details sync."""
        client = self.sync_client_id()
        row = self._db.execute("SELECT cursor, last_synced_at, details FROM sync_state WHERE id = 1").fetchone()
        pending = int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
        return SyncStatus(client, str(row[0]), row[1], pending, bool(row[2]))

    # --- versions ------------------------------------------------------------------------------------
    def _version(self, entity: str, entity_id: str) -> Version | None:
        row = self._db.execute("SELECT changed_at, origin FROM sync_versions WHERE entity = ? AND entity_id = ?",
                               (entity, entity_id)).fetchone()
        return (str(row[0]), str(row[1])) if row else None

    def _set_version(self, entity: str, entity_id: str, version: Version, deleted: bool = False) -> None:
        self._db.execute("INSERT OR REPLACE INTO sync_versions (entity, entity_id, changed_at, origin, deleted) "
                         "VALUES (?, ?, ?, ?, ?)", (entity, entity_id, version[0], version[1], int(deleted)))

    def _outbox(self, entity: str, entity_id: str, payload: dict[str, Any], operation: str = "upsert") -> None:
        """Queue a local change (inside the caller's transaction) and record it as the version held: changed
        now, by this install (just after the version held, should this computer's clock be behind it). A
        session's or feedback's version is also its detail's."""
        client = self.sync_client_id()
        related = [entity, *([DETAIL_OF[entity]] if entity in DETAIL_OF else [])]
        changed_at = canonical_time(self._now())
        for name in related:
            held = self._version(name, entity_id)
            if held is not None and held[0] >= changed_at:
                changed_at = _just_after(held[0])
        self._db.execute(
            "INSERT INTO outbox (entity, entity_id, operation, payload, idempotency_key, created_at, changed_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (entity, entity_id, operation, dumps_json(payload), str(uuid.uuid4()), self._now(), changed_at))
        for name in related:
            self._set_version(name, entity_id, (changed_at, client), operation == "delete")

    def _fallback_version(self, entity: str, entity_id: str, client: str) -> Version | None:
        """The version of an entity that has none recorded (imported from an archive): its parent's, or its own
        time stamp from this install."""
        if entity in PARENT_OF:
            return self._version(PARENT_OF[entity], entity_id)
        query = {"profile": "SELECT created_at FROM profile WHERE id = 1 AND ? = '1'",
                 "setting": "SELECT updated_at FROM settings WHERE key = ?",
                 "session": "SELECT coalesce(updated_at, ended_at, started_at) FROM sessions WHERE id = ?",
                 "feedback": "SELECT created_at FROM feedback WHERE session_id = ?"}.get(entity)
        row = self._db.execute(query, (entity_id,)).fetchone() if query else None
        if row is None or row[0] is None:
            return None
        try:
            return canonical_time(str(row[0])), client
        except ValueError:
            return canonical_time(self._now()), client

    def _queue_version(self, entity: str, entity_id: str, op: str, client: str) -> bool:
        """Queue the version held of an entity under its deterministic key; False when there is none."""
        version = self._version(entity, entity_id)
        if version is None:
            version = self._fallback_version(entity, entity_id, client)
            if version is None:
                return False
            self._set_version(entity, entity_id, version)
        changed_at, origin = version
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO outbox (entity, entity_id, operation, payload, idempotency_key, created_at, "
            "changed_at, origin) VALUES (?, ?, ?, '{}', ?, ?, ?, ?)",
            (entity, entity_id, op, version_key(entity, entity_id, changed_at, origin), self._now(), changed_at,
             None if origin == client else origin))
        return bool(cursor.rowcount)

    def _live_details(self) -> list[tuple[str, str]]:
        sessions = [("session_detail", str(r[0])) for r in self._db.execute(
            "SELECT id FROM sessions s WHERE status IN ('finished', 'ended_early', 'interrupted') AND EXISTS "
            "(SELECT 1 FROM turns t WHERE t.session_id = s.id) ORDER BY started_at, id").fetchall()]
        reports = [("feedback_report", str(r[0])) for r in self._db.execute(
            "SELECT f.session_id FROM feedback f JOIN sessions s ON s.id = f.session_id WHERE f.summary_only = 0 "
            "ORDER BY s.started_at, s.id").fetchall()]
        return sessions + reports

    # --- pushing -------------------------------------------------------------------------------------
    def outbox_batch(self, limit: int) -> list[OutboxChange]:
        """Up to ``limit`` changes to push, oldest first, with their data read now (so always current). Rows
        that can no longer be sent are dropped: settings that do not sync, changes superseded by a newer version
        held, entities since deleted, and details while detail sync is off."""
        client = self.sync_client_id()
        details = self.sync_details_enabled()
        batch: list[OutboxChange] = []
        keys: set[str] = set()
        dropped: list[int] = []
        with self._transaction():
            for row in self._outbox_rows(client):
                changes = self._changes_for(row, client, details)
                if not changes:
                    dropped.append(row.seq)
                    continue
                changes = [c for c in changes if c.key not in keys]
                if batch and len(batch) + len(changes) > limit:
                    break
                batch.extend(changes)
                keys.update(c.key for c in changes)
                if len(batch) >= limit:
                    break
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(seq,) for seq in dropped])
        return batch

    def _outbox_rows(self, client: str) -> Iterator[_OutboxRow]:
        after = -1
        while True:
            rows = self._db.execute(
                "SELECT seq, entity, entity_id, operation, idempotency_key, coalesce(changed_at, created_at), "
                "origin FROM outbox WHERE seq > ? ORDER BY seq LIMIT 200", (after,)).fetchall()
            if not rows:
                return
            for r in rows:
                after = int(r[0])
                yield _OutboxRow(int(r[0]), str(r[1]), str(r[2]), str(r[3]), str(r[4]), str(r[5]), r[6] or client)

    def _changes_for(self, row: _OutboxRow, client: str, details: bool) -> list[OutboxChange]:
        if row.entity not in ENTITIES or (row.entity == "setting" and row.entity_id not in SYNCED_SETTINGS):
            return []
        if row.entity in SEALED_ENTITIES and not details:
            return []
        try:
            version = (canonical_time(row.changed_at), row.origin)
        except ValueError:
            return []
        held = self._version(row.entity, row.entity_id)
        if held is not None and held > version:
            return []  # a newer version is held: it was sent (or came from the log) already
        if held is None:
            self._set_version(row.entity, row.entity_id, version, row.op == "delete")
        if row.op == "delete":
            return [OutboxChange(row.seq, row.key, row.entity, row.entity_id, "delete", version[0], None, row.origin)]
        data = self._current_data(row.entity, row.entity_id)
        if data is None:
            return []
        changes = [OutboxChange(row.seq, row.key, row.entity, row.entity_id, "upsert", version[0], data, row.origin)]
        detail = DETAIL_OF.get(row.entity)
        if details and detail is not None and self._version(detail, row.entity_id) == version:
            detail_data = self._current_data(detail, row.entity_id)
            if detail_data is not None:
                changes.append(OutboxChange(row.seq, version_key(detail, row.entity_id, *version), detail,
                                            row.entity_id, "upsert", version[0], detail_data, row.origin))
        return changes

    def _current_data(self, entity: str, entity_id: str) -> dict[str, Any] | None:
        """An entity's data as the wire carries it (plaintext for details), or None when it is not here."""
        if entity == "profile":
            row = self._db.execute("SELECT name, profession FROM profile WHERE id = 1").fetchone()
            return {"name": row[0], "profession": row[1]} if row and entity_id == "1" else None
        if entity == "setting":
            row = self._db.execute("SELECT value FROM settings WHERE key = ?", (entity_id,)).fetchone()
            return {"value": json.loads(row[0])} if row else None
        if entity == "session":
            row = self._db.execute(
                "SELECT scenario_id, mode, turn_mode, started_at, ended_at, status, coalesce(turn_count, (SELECT "
                "count(*) FROM turns t WHERE t.session_id = s.id)), duration_s FROM sessions s WHERE id = ?",
                (entity_id,)).fetchone()
            if row is None or row[5] not in FINAL_STATUSES:
                return None
            return {"scenario_id": row[0], "mode": row[1], "turn_mode": row[2], "started_at": row[3],
                    "ended_at": row[4], "status": row[5], "turns": int(row[6]),
                    "duration_s": None if row[7] is None else float(row[7])}
        if entity == "session_detail":
            row = self._db.execute("SELECT models, events FROM sessions WHERE id = ?", (entity_id,)).fetchone()
            turns = [json.loads(r[0]) for r in self._db.execute(
                "SELECT data FROM turns WHERE session_id = ? ORDER BY turn_index", (entity_id,)).fetchall()]
            if row is None or not turns:
                return None
            return {"turns": turns, "events": json.loads(row[1]), "models": json.loads(row[0])}
        row = self._db.execute("SELECT summary_only, summary, report FROM feedback WHERE session_id = ?",
                               (entity_id,)).fetchone()
        if row is None:
            return None
        if entity == "feedback":
            return dict(json.loads(row[1])) if row[0] else feedback_summary(FeedbackReport.from_dict(
                json.loads(row[2])))
        return None if row[0] else dict(json.loads(row[2]))  # feedback_report

    def drop_sent(self, seqs: list[int]) -> None:
        """Forget outbox rows the server has answered for."""
        with self._transaction():
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(int(seq),) for seq in set(seqs)])

    def requeue_all(self, *, restart_pull: bool = False) -> int:
        """For a full resync: replace the outbox with every entity held (and every deletion remembered), each at
        the version held and under that version's deterministic key, so the server keeps what it already has
        once. Entities another computer made keep that computer's origin. ``restart_pull`` also moves the cursor
        back to the start in the same transaction, so a crash can never leave one done without the other.
        Returns how many rows were queued."""
        with self._transaction():
            client = self.sync_client_id()
            if restart_pull:
                self._db.execute("UPDATE sync_state SET cursor = '' WHERE id = 1")
            details = self.sync_details_enabled()
            self._db.execute("DELETE FROM outbox")
            live: list[tuple[str, str]] = [("profile", "1")] if self._db.execute(
                "SELECT 1 FROM profile WHERE id = 1").fetchone() else []
            live += [("setting", str(r[0])) for r in self._db.execute(
                f"SELECT key FROM settings WHERE key IN ({', '.join('?' for _ in SYNCED_SETTINGS)}) ORDER BY key",
                SYNCED_SETTINGS).fetchall()]
            live += [("session", str(r[0])) for r in self._db.execute(
                "SELECT id FROM sessions WHERE status IN ('finished', 'ended_early', 'interrupted') "
                "ORDER BY started_at, id").fetchall()]
            live += [("feedback", str(r[0])) for r in self._db.execute(
                "SELECT f.session_id FROM feedback f JOIN sessions s ON s.id = f.session_id "
                "ORDER BY s.started_at, s.id").fetchall()]
            if details:  # a detail at its summary's version goes with the summary's row
                live += [(entity, entity_id) for entity, entity_id in self._live_details()
                         if self._version(entity, entity_id) != self._version(PARENT_OF[entity], entity_id)]
            queued = sum(self._queue_version(entity, entity_id, "upsert", client) for entity, entity_id in live)
            tombstones = [(str(r[0]), str(r[1])) for r in self._db.execute(
                "SELECT entity, entity_id FROM sync_versions WHERE deleted = 1 ORDER BY changed_at").fetchall()]
            queued += sum(self._queue_version(entity, entity_id, "delete", client) for entity, entity_id in tombstones
                          if (entity != "setting" or entity_id in SYNCED_SETTINGS)
                          and (details or entity not in SEALED_ENTITIES))
        return queued

    # --- applying ------------------------------------------------------------------------------------
    def apply_remote(self, changes: list[RemoteChange]) -> ApplyResult:
        """Apply pulled changes in one transaction: each only when its version is newer than the one held
        (so applying twice, or this install's own changes coming back, does nothing). Applying queues nothing
        to send. A malformed change is skipped (and logged), never stops the rest."""
        applied = skipped = 0
        with self._transaction():
            client = self.sync_client_id()
            for change in changes:
                self._db.execute("SAVEPOINT remote_change")
                try:
                    done = self._apply_one(change, client)
                except (KeyError, TypeError, ValueError, AttributeError, sqlcipher3.IntegrityError) as error:
                    self._db.execute("ROLLBACK TO remote_change")
                    log.warning("a pulled %s change of %s was skipped: %s", change.entity, change.entity_id, error)
                    done = False
                self._db.execute("RELEASE remote_change")
                applied += done
                skipped += not done
        return ApplyResult(applied, skipped)

    def _apply_one(self, change: RemoteChange, client: str) -> bool:
        entity, entity_id, op = change.entity, change.entity_id, change.op
        if entity not in ENTITIES or op not in ("upsert", "delete") or (op == "upsert" and change.data is None):
            return False
        if entity == "setting" and entity_id not in SYNCED_SETTINGS:
            return False
        version = (canonical_time(change.changed_at), _text(change.origin))
        held = self._version(entity, entity_id)
        if held is not None and version <= held:
            return False
        if op == "delete":
            self._apply_delete(entity, entity_id)
        elif not self._apply_upsert(entity, entity_id, change.data or {}, version, client):
            return False
        self._set_version(entity, entity_id, version, op == "delete")
        return True

    def _apply_upsert(self, entity: str, entity_id: str, data: dict[str, Any], version: Version,
                      client: str) -> bool:
        """Write one newer change; False when it cannot be applied here (its session is not here)."""
        now = self._now()
        if entity == "profile":
            if entity_id != "1":
                return False
            self._db.execute("INSERT INTO profile VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                             "name = excluded.name, profession = excluded.profession",
                             (_text(data["name"]), _text(data["profession"]), now))
            return True
        if entity == "setting":
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)",
                             (entity_id, dumps_json(data["value"]), now))
            return True
        if entity == "session":
            return self._apply_session(entity_id, data, version, client)
        if not self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (entity_id,)).fetchone():
            return False  # its session was deleted here (or has not come yet): nothing to attach it to
        if entity == "session_detail":
            turns = data["turns"]
            events, models = data.get("events", []), data.get("models", {})
            if not isinstance(turns, list) or not isinstance(events, list) or not isinstance(models, dict):
                raise TypeError("turns and events must be lists, models an object")
            rows = [(entity_id, _optional_int(turn["index"]), dumps_json(turn)) for turn in turns]
            self._db.execute("DELETE FROM turns WHERE session_id = ?", (entity_id,))
            self._db.executemany("INSERT INTO turns (session_id, turn_index, data) VALUES (?, ?, ?)", rows)
            self._db.execute("UPDATE sessions SET events = ?, models = ? WHERE id = ?",
                             (dumps_json(events), dumps_json(models), entity_id))
            return True
        if entity == "feedback":
            summary = _clean_summary(data)
            full = self._db.execute("SELECT report FROM feedback WHERE session_id = ? AND summary_only = 0",
                                    (entity_id,)).fetchone()
            report_version = self._version("feedback_report", entity_id)
            if full and ((report_version is not None and report_version >= version)
                         or feedback_summary(FeedbackReport.from_dict(json.loads(full[0]))) == summary):
                return True  # the full report held is as new, or says the same: keep it
            self._write_feedback(entity_id, summary["estimate"], summary["scores"], summary=summary)
            return True
        report = FeedbackReport.from_dict(data)  # feedback_report
        summary_version = self._version("feedback", entity_id)
        if summary_version is None or summary_version <= version:  # else newer scores are held: keep them
            scores = {c.criterion.value: c.score for c in report.criteria}
            self._write_feedback(entity_id, report.estimate.score if report.estimate else None, scores,
                                 report=report.as_dict())
        return True

    def _apply_session(self, session_id: str, data: dict[str, Any], version: Version, client: str) -> bool:
        status = _text(data["status"])
        if status not in FINAL_STATUSES:
            return False  # only finished, ended-early and interrupted role-plays sync
        ended_at = _optional_text(data.get("ended_at"))
        duration = _optional_float(data.get("duration_s"))
        turn_count = _optional_int(data.get("turns"))
        row = self._db.execute("SELECT status, scenario_id, started_at FROM sessions WHERE id = ?",
                               (session_id,)).fetchone()
        if row is None:
            scenario_id, started_at = _text(data["scenario_id"]), _text(data["started_at"])
            self._db.execute(
                "INSERT INTO sessions (id, scenario_id, mode, turn_mode, started_at, ended_at, status, models, events,"
                " updated_at, origin, duration_s, turn_count) VALUES (?, ?, ?, ?, ?, ?, ?, '{}', '[]', ?, ?, ?, ?)",
                (session_id, scenario_id, _text(data["mode"]), _text(data["turn_mode"]), started_at, ended_at, status,
                 self._now(), None if version[1] == client else version[1], duration, turn_count))
            before = None
        else:
            before, scenario_id, started_at = row
            self._db.execute("UPDATE sessions SET status = ?, ended_at = ?, updated_at = ? WHERE id = ?",
                             (status, ended_at, self._now(), session_id))
            self._db.execute("UPDATE sessions SET duration_s = ?, turn_count = ? WHERE id = ? AND origin IS NOT NULL",
                             (duration, turn_count, session_id))
        if status in PRACTISED_STATUSES and before not in PRACTISED_STATUSES:
            self._db.execute(
                "INSERT INTO scenario_progress VALUES (?, 1, ?) ON CONFLICT (scenario_id) DO UPDATE SET "
                "times_practised = times_practised + 1, last_practised = max(last_practised, excluded."
                "last_practised)", (scenario_id, started_at))
        return True

    def _write_feedback(self, session_id: str, estimate: int | None, scores: dict[str, int | None],
                        summary: dict[str, Any] | None = None, report: dict[str, Any] | None = None) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO feedback (session_id, estimate, scores, created_at, report, summary, "
            "summary_only) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (session_id, estimate, dumps_json(scores), self._now(), "" if report is None else dumps_json(report),
             None if summary is None else dumps_json(summary), int(report is None)))
        self._db.execute("DELETE FROM criterion_scores WHERE session_id = ?", (session_id,))
        self._db.executemany("INSERT INTO criterion_scores VALUES (?, ?, ?)",
                             [(session_id, c, s) for c, s in scores.items()])

    def _apply_delete(self, entity: str, entity_id: str) -> None:
        if entity == "profile":
            self._db.execute("DELETE FROM profile WHERE id = 1")
        elif entity == "setting":
            self._db.execute("DELETE FROM settings WHERE key = ?", (entity_id,))
        elif entity == "session":
            self._remove_session(entity_id)
        elif entity == "session_detail":
            self._db.execute("DELETE FROM turns WHERE session_id = ?", (entity_id,))
            self._db.execute("UPDATE sessions SET events = '[]' WHERE id = ?", (entity_id,))
        elif entity == "feedback":
            self._db.execute("DELETE FROM feedback WHERE session_id = ?", (entity_id,))
            self._db.execute("DELETE FROM criterion_scores WHERE session_id = ?", (entity_id,))
        else:  # feedback_report: the scores stay, as a summary
            row = self._db.execute("SELECT report FROM feedback WHERE session_id = ? AND summary_only = 0",
                                   (entity_id,)).fetchone()
            if row is not None:
                summary = feedback_summary(FeedbackReport.from_dict(json.loads(row[0])))
                self._db.execute("UPDATE feedback SET summary = ?, summary_only = 1, report = '' WHERE session_id = ?",
                                 (dumps_json(summary), entity_id))

    def _remove_session(self, session_id: str) -> None:
        """Delete a session with everything of it (cascade); its scenario's practice count follows."""
        row = self._db.execute("SELECT scenario_id, status FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return
        self._db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))
        scenario_id, status = row
        if status in PRACTISED_STATUSES:
            self._db.execute("UPDATE scenario_progress SET times_practised = times_practised - 1, last_practised = "
                             "coalesce((SELECT max(started_at) FROM sessions WHERE scenario_id = ?1 AND status IN "
                             "('finished', 'ended_early')), last_practised) WHERE scenario_id = ?1", (scenario_id,))
            self._db.execute("DELETE FROM scenario_progress WHERE scenario_id = ? AND times_practised <= 0",
                             (scenario_id,))

    # --- progress ------------------------------------------------------------------------------------
    def progress_summaries(self) -> list[SessionSummary]:
        """Every scored session as progress sees it, oldest first: from the full report where this computer
        has it, else from the summary another computer sent."""
        out = []
        for session_id, summary_only, summary, report in self._db.execute(
                "SELECT f.session_id, f.summary_only, f.summary, f.report FROM feedback f JOIN sessions s ON "
                "s.id = f.session_id ORDER BY s.started_at, s.id").fetchall():
            if summary_only:
                out.append(summary_from_data(session_id, json.loads(summary)))
            else:
                out.append(replace(summarise(FeedbackReport.from_dict(json.loads(report))), session_id=session_id))
        return out
