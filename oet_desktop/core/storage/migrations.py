"""Versioned, forward-only schema migrations, each in its own transaction (``PRAGMA user_version``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.database import Connection


@dataclass(frozen=True)
class Migration:
    """The step from ``version - 1`` to ``version``."""

    version: int
    description: str
    sql: str


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

MIGRATIONS: tuple[Migration, ...] = (V1,)
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
            for statement in (s.strip() for s in migration.sql.split(";")):
                if statement:
                    connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {migration.version}")
            connection.execute("COMMIT")
        except Exception:
            connection.execute("ROLLBACK")
            raise
        applied.append(migration.version)
    return applied
