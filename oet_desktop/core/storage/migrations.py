"""Versioned, forward-only schema migrations, each in its own transaction (``PRAGMA user_version``)."""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import soundfile

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.database import Connection


@dataclass(frozen=True)
class Migration:
    """The step from ``version - 1`` to ``version``."""

    version: int
    description: str
    sql: str
    upgrade: Callable[[Connection], None] | None = None
    """Data conversion run after ``sql`` in the same transaction (for what SQL alone cannot do)."""
    finish_sql: str = ""
    """Statements run after ``upgrade`` (e.g. dropping a table whose data it moved)."""


V1 = Migration(1, "profile, sessions, turns, audio, feedback, scenario progress, subscription cache, outbox", """
CREATE TABLE profile (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    name TEXT NOT NULL,
    profession TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    scenario_id TEXT NOT NULL,
    mode TEXT NOT NULL,
    turn_mode TEXT NOT NULL,
    started_at TEXT NOT NULL,
    ended_at TEXT,
    status TEXT NOT NULL CHECK (status IN ('in_progress', 'finished', 'ended_early', 'interrupted')),
    models TEXT NOT NULL,
    events TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX sessions_started ON sessions (started_at);
CREATE TABLE turns (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    turn_index INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (session_id, turn_index)
);
CREATE TABLE audio (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    track TEXT NOT NULL CHECK (track IN ('candidate', 'patient')),
    sample_rate INTEGER NOT NULL,
    wav BLOB NOT NULL,
    saved_at TEXT NOT NULL,
    PRIMARY KEY (session_id, track)
);
CREATE TABLE feedback (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    report TEXT NOT NULL,
    estimate INTEGER,
    created_at TEXT NOT NULL
);
CREATE TABLE criterion_scores (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    criterion TEXT NOT NULL,
    score INTEGER,
    PRIMARY KEY (session_id, criterion)
);
CREATE TABLE scenario_progress (
    scenario_id TEXT PRIMARY KEY,
    times_practised INTEGER NOT NULL,
    last_practised TEXT NOT NULL
);
CREATE TABLE subscription_cache (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    entitlement TEXT NOT NULL,
    fetched_at TEXT NOT NULL
);
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    operation TEXT NOT NULL CHECK (operation IN ('upsert', 'delete')),
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
""")



def _v1_audio_to_segments(connection: Connection) -> None:
    """Each v1 WAV track becomes one 16-bit PCM segment at 0 s; feedback rows get their nine scores."""
    rows = connection.execute("SELECT session_id, track, wav FROM audio").fetchall()
    for session_id, track, wav in rows:
        samples, rate = soundfile.read(io.BytesIO(wav), dtype="int16", always_2d=True)
        pcm = np.ascontiguousarray(samples[:, 0], dtype="<i2").tobytes()
        connection.execute("INSERT INTO audio_segments VALUES (?, ?, 0, 0.0, ?, ?)", (session_id, track, rate, pcm))
    for (session_id,) in connection.execute("SELECT session_id FROM feedback").fetchall():
        scores = dict(connection.execute("SELECT criterion, score FROM criterion_scores WHERE session_id = ?",
                                         (session_id,)).fetchall())
        connection.execute("UPDATE feedback SET scores = ? WHERE session_id = ?", (json.dumps(scores), session_id))


V2 = Migration(2, "audio as timed PCM segments (saved as the role-play goes), retention marks, scores for listing", """
CREATE TABLE audio_segments (
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    track TEXT NOT NULL CHECK (track IN ('candidate', 'patient')),
    seq INTEGER NOT NULL,
    start_s REAL NOT NULL,
    sample_rate INTEGER NOT NULL,
    pcm BLOB NOT NULL,
    PRIMARY KEY (session_id, track, seq)
);
ALTER TABLE sessions ADD COLUMN updated_at TEXT;
ALTER TABLE sessions ADD COLUMN audio_removed_at TEXT;
UPDATE sessions SET updated_at = coalesce(ended_at, started_at);
CREATE TABLE feedback_v2 (
    session_id TEXT PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
    estimate INTEGER,
    scores TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    report TEXT NOT NULL
);
INSERT INTO feedback_v2 (session_id, estimate, created_at, report)
    SELECT session_id, estimate, created_at, report FROM feedback;
DROP TABLE feedback;
ALTER TABLE feedback_v2 RENAME TO feedback
""", _v1_audio_to_segments, "DROP TABLE audio")
"""Audio is kept as 16-bit little-endian mono PCM segments placed on the session timeline (``start_s``), so a
role-play in progress appends only what is new. ``feedback.scores`` holds the nine scores as JSON so the
history lists without aggregating, and the long report comes last in the row so listing never reads it."""



def _v3_time(value: str) -> str:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC).isoformat(
        timespec="milliseconds")


def _v3_duration(turns: list[dict[str, Any]]) -> float:
    ends = [0.0]
    for turn in turns:
        if str(turn.get("candidate_text", "")).strip():
            ends.append(float(turn.get("candidate_end", 0.0)))
        heard = turn.get("heard_seconds")
        if str(turn.get("reply_text", "")).strip():
            ends.append(float(turn.get("reply_start", 0.0)) + float(heard if heard is not None else
                                                                    turn.get("reply_seconds", 0.0) or 0.0))
    return round(max(ends), 1)


def _v3_sync_bookkeeping(connection: Connection) -> None:
    """This install's client id; the version held of everything already saved (the latest outbox row's time,
    else the record's own), made here; change times of the queued rows; each session's length."""
    client = secrets.token_urlsafe(16)
    connection.execute("INSERT INTO sync_state (id, client_id) VALUES (1, ?)", (client,))
    connection.execute("DELETE FROM outbox WHERE entity = 'setting' AND entity_id NOT IN "
                       "('endpoint_ms', 'turn_mode', 'audio_retention_days')")
    versions: dict[tuple[str, str], str] = {}
    for query, entities in (
            ("SELECT '1', created_at FROM profile", ("profile",)),
            ("SELECT key, updated_at FROM settings WHERE key IN ('endpoint_ms', 'turn_mode', 'audio_retention_days')",
             ("setting",)),
            ("SELECT id, coalesce(updated_at, ended_at, started_at) FROM sessions WHERE status != 'in_progress'",
             ("session", "session_detail")),
            ("SELECT session_id, created_at FROM feedback", ("feedback", "feedback_report")),
            ("SELECT entity_id, max(created_at) FROM outbox WHERE entity = 'profile' GROUP BY entity_id", ("profile",)),
            ("SELECT entity_id, max(created_at) FROM outbox WHERE entity = 'setting' GROUP BY entity_id", ("setting",)),
            ("SELECT entity_id, max(created_at) FROM outbox WHERE entity = 'session' GROUP BY entity_id",
             ("session", "session_detail")),
            ("SELECT entity_id, max(created_at) FROM outbox WHERE entity = 'feedback' GROUP BY entity_id",
             ("feedback", "feedback_report"))):
        for entity_id, changed_at in connection.execute(query).fetchall():
            for entity in entities:
                versions[(entity, str(entity_id))] = _v3_time(str(changed_at))
    connection.executemany("INSERT INTO sync_versions (entity, entity_id, changed_at, origin) VALUES (?, ?, ?, ?)",
                           [(entity, entity_id, changed_at, client)
                            for (entity, entity_id), changed_at in versions.items()])
    connection.executemany("UPDATE outbox SET changed_at = ? WHERE seq = ?",
                           [(_v3_time(str(created)), seq)
                            for seq, created in connection.execute("SELECT seq, created_at FROM outbox").fetchall()])
    for (session_id,) in connection.execute("SELECT id FROM sessions").fetchall():
        turns = [json.loads(r[0]) for r in connection.execute("SELECT data FROM turns WHERE session_id = ?",
                                                              (session_id,)).fetchall()]
        connection.execute("UPDATE sessions SET duration_s = ? WHERE id = ?", (_v3_duration(turns), session_id))


V3 = Migration(3, "sync: client id and cursor, versions held, where a session was practised, summaries", """
CREATE TABLE sync_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    client_id TEXT NOT NULL,
    cursor TEXT NOT NULL DEFAULT '',
    last_synced_at TEXT,
    details INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE sync_versions (
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    origin TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (entity, entity_id)
);
ALTER TABLE sessions ADD COLUMN origin TEXT;
ALTER TABLE sessions ADD COLUMN duration_s REAL;
ALTER TABLE sessions ADD COLUMN turn_count INTEGER;
ALTER TABLE feedback ADD COLUMN summary TEXT;
ALTER TABLE feedback ADD COLUMN summary_only INTEGER NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN changed_at TEXT;
ALTER TABLE outbox ADD COLUMN origin TEXT
""", _v3_sync_bookkeeping)
"""``sync_state`` is one row: this install's ``client_id`` (the origin of its changes), the pull ``cursor``, when
it last synced and whether practice ``details`` sync. ``sync_versions`` holds the version (change time, origin)
of every synced entity this profile has, for last-writer-wins (``deleted``: the version is a deletion).
``sessions.origin`` is the client id of the computer a session was practised on (NULL: this one), and
``turn_count`` the number of turns it reported (its transcript may not be here). ``feedback.summary`` is the
summary another computer sent when only that is here (``summary_only``; ``report`` is then empty). Outbox rows
get their version: ``changed_at``, and ``origin`` (NULL: this install)."""

MIGRATIONS: tuple[Migration, ...] = (V1, V2, V3)
"""Every migration in order; a new schema version appends one (never edit a released one)."""


def schema_version(connection: Connection) -> int:
    """The database's schema version (0 for a new, empty database)."""
    return int(connection.execute("PRAGMA user_version").fetchone()[0])


def migrate(connection: Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[int]:
    """Apply every migration newer than the database, each in a transaction; returns the versions applied."""
    current = schema_version(connection)
    latest = migrations[-1].version if migrations else 0
    if current > latest:
        raise UserFacingError(f"This profile was saved by a newer version of the app (schema {current}; this "
                              f"version knows up to {latest}).", "Update the app to open it.")
    applied = []
    for migration in migrations:
        if migration.version <= current:
            continue
        connection.execute("BEGIN IMMEDIATE")
        try:
            _run_script(connection, migration.sql)
            if migration.upgrade is not None:
                migration.upgrade(connection)
            _run_script(connection, migration.finish_sql)
            connection.execute(f"PRAGMA user_version = {migration.version}")
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied


def _run_script(connection: Connection, sql: str) -> None:
    for statement in (part.strip() for part in sql.split(";")):
        if statement:
            connection.execute(statement)
