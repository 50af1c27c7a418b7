"""The profile repository: every read and write of practice data (the rest of the app never sees SQL). Each
change is one transaction, with its outbox row (the changes not yet sent to an account server) in the same
transaction. Used only on the storage thread (see :mod:`worker`)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlcipher3

from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.types import SAMPLE_RATE, Track
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.storage.database import Connection, reclaim_free_pages, storage_error
from oet_desktop.core.storage.segments import AudioSegment, join_pieces, lay_out
from oet_desktop.core.storage.sync_store import (
    FINAL_STATUSES,
    PRACTISED_STATUSES,
    SYNCED_SETTINGS,
    ApplyResult,
    OutboxChange,
    RemoteChange,
    SyncStatus,
    SyncStore,
    dumps_json,
    session_duration,
)

__all__ = ["FINAL_STATUSES", "PRACTISED_STATUSES", "RETENTION_SETTING", "SYNCED_SETTINGS", "ApplyResult",
           "OutboxChange", "Profile", "ProfileRepository", "RemoteChange", "RetentionResult", "SessionListing",
           "SessionSnapshot", "StoredSession", "SyncStatus", "utc_now"]

log = logging.getLogger(__name__)

RETENTION_SETTING = "audio_retention_days"
EXPORTED_TABLES = ("profile", "settings", "sessions", "turns", "feedback", "criterion_scores", "scenario_progress",
                   "subscription_cache", "outbox")
"""Every table but the audio (which an export writes as WAV files), in an order that respects references."""


def utc_now() -> str:
    """The current time, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class SessionSnapshot:
    """What one save writes: the session's row and turns, and audio segments (all of them, or the new ones)."""

    session_id: str
    scenario_id: str
    mode: str
    turn_mode: str
    started_at: str
    models: dict[str, str]
    events: list[dict[str, Any]]
    turns: list[dict[str, Any]]
    status: str
    segments: list[AudioSegment] = field(default_factory=list)
    replace_audio: bool = True
    """True: ``segments`` are the whole audio (earlier segments are replaced); False: they follow on."""

    @classmethod
    def whole(cls, session_id: str, record: SessionRecord, status: str, with_audio: bool = True) -> SessionSnapshot:
        """The whole session at once (both tracks)."""
        segments: list[AudioSegment] = []
        if with_audio:
            segments = (join_pieces(Track.CANDIDATE, [(t, a, SAMPLE_RATE) for t, a in record.candidate_audio])
                        + join_pieces(Track.PATIENT, list(record.patient_audio)))
        return cls(session_id, record.scenario_id, record.mode, record.turn_mode, record.started_at,
                   dict(record.models), list(record.events), [asdict(turn) for turn in record.turns], status,
                   segments)


@dataclass(frozen=True)
class SessionListing:
    """One row of the history: a session with its scores (None where not assessed or not yet scored)."""

    session_id: str
    scenario_id: str
    started_at: str
    status: str
    estimate: int | None
    scores: dict[str, int | None]
    audio_removed: bool = False


@dataclass(frozen=True)
class StoredSession:
    """A saved session in the session-record JSON form (``format`` 1), as the assessment reads it."""

    session_id: str
    status: str
    data: dict[str, Any]
    audio_removed_at: str | None


@dataclass(frozen=True)
class Profile:
    """Who is practising."""

    name: str
    profession: str
    created_at: str = field(default_factory=utc_now)


class RetentionResult(int):
    """What :meth:`ProfileRepository.apply_retention` did. It *is* the number of sessions whose audio was
    deleted (an ``int``, as callers have always used it), with ``bytes_freed``: how much the database file
    shrank."""

    bytes_freed: int

    def __new__(cls, sessions: int, bytes_freed: int = 0) -> RetentionResult:
        result = super().__new__(cls, sessions)
        result.bytes_freed = bytes_freed
        return result

    @property
    def sessions(self) -> int:
        """How many sessions lost their audio."""
        return int(self)

    def __repr__(self) -> str:
        return f"RetentionResult(sessions={int(self)}, bytes_freed={self.bytes_freed})"


class ProfileRepository(SyncStore):
    """Reads and writes one profile's data through an open connection (the sync side: :class:`SyncStore`)."""

    def __init__(self, connection: Connection, now: Callable[[], str] = utc_now) -> None:
        self._db = connection
        self._now = now

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All or nothing; a full disk or read-only file becomes a :class:`StorageError` naming the file."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
        except sqlcipher3.OperationalError as error:
            raise storage_error(self._path(), error) from error

    def _path(self) -> Path:
        row = self._db.execute("PRAGMA database_list").fetchone()
        return Path(row[2]) if row and row[2] else Path("(the profile database)")

    # --- profile and settings ------------------------------------------------------------------------
    def profile(self) -> Profile | None:
        """The profile's owner, if set."""
        row = self._db.execute("SELECT name, profession, created_at FROM profile WHERE id = 1").fetchone()
        return Profile(*row) if row else None

    def save_profile(self, profile: Profile) -> None:
        """Set the owner's name and profession."""
        with self._transaction():
            self._db.execute("INSERT INTO profile VALUES (1, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                             "name = excluded.name, profession = excluded.profession",
                             (profile.name, profile.profession, profile.created_at))
            self._outbox("profile", "1", {"name": profile.name, "profession": profile.profession})

    def setting(self, key: str, default: Any = None) -> Any:
        """A setting's value (JSON-decoded), or ``default``."""
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0]) if row else default

    def save_setting(self, key: str, value: Any) -> None:
        """Set a setting (any JSON value); the settings in ``SYNCED_SETTINGS`` get an outbox row."""
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO settings VALUES (?, ?, ?)", (key, dumps_json(value), self._now()))
            if key in SYNCED_SETTINGS:
                self._outbox("setting", key, {"value": value})

    # --- sessions -----------------------------------------------------------------------------------
    def save_session(self, session_id: str, record: SessionRecord, status: str, with_audio: bool = True) -> None:
        """Save the whole session (turns, events and both audio tracks) in one transaction: all of it or none.
        Saving again replaces the earlier save."""
        self.save_snapshot(SessionSnapshot.whole(session_id, record, status, with_audio))

    def save_snapshot(self, snapshot: SessionSnapshot) -> None:
        """Save a snapshot in one transaction. A session reaching a final status gets an outbox row and counts
        towards its scenario's progress once."""
        s = snapshot
        now = self._now()
        turns = [(s.session_id, int(turn["index"]), dumps_json(turn)) for turn in s.turns]
        ended = now if s.status != "in_progress" else None
        with self._transaction():
            row = self._db.execute("SELECT status, (SELECT coalesce(max(seq) + 1, 0) FROM audio_segments WHERE "
                                   "session_id = ?) FROM sessions WHERE id = ?", (s.session_id, s.session_id)
                                   ).fetchone()
            before, next_seq = (row[0], row[1]) if row else (None, 0)
            self._db.execute(
                "INSERT INTO sessions (id, scenario_id, mode, turn_mode, started_at, ended_at, status, models, events,"
                " updated_at, duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET "
                "ended_at = excluded.ended_at, status = excluded.status, events = excluded.events, "
                "updated_at = excluded.updated_at, duration_s = excluded.duration_s",
                (s.session_id, s.scenario_id, s.mode, s.turn_mode, s.started_at, ended, s.status, dumps_json(s.models),
                 dumps_json(s.events), now, session_duration(s.turns)))
            self._db.execute("DELETE FROM turns WHERE session_id = ?", (s.session_id,))
            self._db.executemany("INSERT INTO turns (session_id, turn_index, data) VALUES (?, ?, ?)", turns)
            if s.replace_audio:
                self._db.execute("DELETE FROM audio_segments WHERE session_id = ?", (s.session_id,))
                next_seq = 0
            self._db.executemany(
                "INSERT INTO audio_segments VALUES (?, ?, ?, ?, ?, ?)",
                [(s.session_id, seg.track, next_seq + n, seg.start_s, seg.sample_rate, seg.blob())
                 for n, seg in enumerate(s.segments)])
            if s.status in FINAL_STATUSES and s.status != before:
                self._outbox("session", s.session_id, {"scenario_id": s.scenario_id, "started_at": s.started_at,
                                                       "status": s.status, "turns": len(turns)})
            if s.status in PRACTISED_STATUSES and before not in PRACTISED_STATUSES:
                self._db.execute(
                    "INSERT INTO scenario_progress VALUES (?, 1, ?) ON CONFLICT (scenario_id) DO UPDATE SET "
                    "times_practised = times_practised + 1, last_practised = max(last_practised, excluded."
                    "last_practised)", (s.scenario_id, s.started_at))

    def recover_interrupted(self) -> list[str]:
        """Mark sessions left "in progress" by a crash or a closed window as interrupted (their turns and audio
        up to that moment are kept); returns their ids. Call once at start-up."""
        ids = [r[0] for r in self._db.execute("SELECT id FROM sessions WHERE status = 'in_progress'").fetchall()]
        if ids:
            with self._transaction():
                for session_id in ids:
                    self._db.execute("UPDATE sessions SET status = 'interrupted', updated_at = ? WHERE id = ?",
                                     (self._now(), session_id))
                    self._outbox("session", session_id, {"status": "interrupted"})
        return ids

    def delete_session(self, session_id: str) -> bool:
        """Delete a saved session with its transcript, audio and feedback (its scenario's practice count
        follows), and queue the deletion for other computers. False when there is no such session."""
        with self._transaction():
            if not self._db.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone():
                return False
            self._remove_session(session_id)
            self._outbox("session", session_id, {}, "delete")
        return True

    def session_origin(self, session_id: str) -> str | None:
        """The client id of the computer another computer's session was practised on (None: this one, or no
        such session)."""
        row = self._db.execute("SELECT origin FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return None if row is None or row[0] is None else str(row[0])

    def load_session(self, session_id: str) -> StoredSession | None:
        """A saved session, or None."""
        row = self._db.execute("SELECT scenario_id, mode, turn_mode, started_at, status, models, events, "
                               "audio_removed_at FROM sessions WHERE id = ?", (session_id,)).fetchone()
        if row is None:
            return None
        turns = [json.loads(r[0]) for r in self._db.execute(
            "SELECT data FROM turns WHERE session_id = ? ORDER BY turn_index", (session_id,)).fetchall()]
        data = {"format": 1, "scenario": row[0], "mode": row[1], "turn_mode": row[2], "started_at": row[3],
                "models": json.loads(row[5]), "events": json.loads(row[6]), "turns": turns}
        return StoredSession(session_id, row[4], data, row[7])

    def audio_segments(self, session_id: str, track: str) -> list[AudioSegment]:
        """One side's saved audio segments, in order."""
        rows = self._db.execute("SELECT start_s, sample_rate, pcm FROM audio_segments WHERE session_id = ? AND "
                                "track = ? ORDER BY seq", (session_id, track)).fetchall()
        return [AudioSegment.from_blob(track, r[0], r[1], r[2]) for r in rows]

    def track(self, session_id: str, track: str, rate: int) -> np.ndarray | None:
        """One side's audio laid out on the session timeline (int16 at ``rate``), or None if none is kept."""
        segments = self.audio_segments(session_id, track)
        return lay_out(segments, rate) if segments else None

    def resolve(self, reference: str) -> str:
        """A session id from ``latest``, an id, or the unique start of one."""
        if reference == "latest":
            row = self._db.execute("SELECT id FROM sessions ORDER BY started_at DESC, id DESC LIMIT 1").fetchone()
            if row is None:
                raise UserFacingError("There are no saved role-plays in your profile yet.",
                                      "Practise one first (`oet-desktop practice --demo`).")
            return str(row[0])
        ids = [r[0] for r in self._db.execute("SELECT id FROM sessions WHERE id = ? OR substr(id, 1, ?) = ? "
                                              "ORDER BY id", (reference, len(reference), reference)).fetchall()]
        if reference in ids:
            return reference
        if len(ids) == 1:
            return str(ids[0])
        if not ids:
            raise UserFacingError(f"No saved role-play is called {reference!r}.",
                                  "See `oet-desktop history` for your sessions, or use `latest`.")
        raise UserFacingError(f"{reference!r} matches {len(ids)} role-plays ({', '.join(ids[:3])}…).",
                              "Give more of the session's name.")

    def list_sessions(self, limit: int | None = None) -> list[SessionListing]:
        """Sessions newest first, with their estimate and nine scores (one query, no aggregation)."""
        rows = self._db.execute(
            "SELECT s.id, s.scenario_id, s.started_at, s.status, f.estimate, f.scores, s.audio_removed_at "
            "FROM sessions s LEFT JOIN feedback f ON f.session_id = s.id ORDER BY s.started_at DESC, s.id DESC "
            "LIMIT ?", (-1 if limit is None else limit,)).fetchall()
        return [SessionListing(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else {}, r[6] is not None)
                for r in rows]

    def session_count(self) -> int:
        """How many sessions are saved."""
        return int(self._db.execute("SELECT count(*) FROM sessions").fetchone()[0])

    def practised(self) -> dict[str, tuple[int, str]]:
        """Per scenario id: how many times it was practised and when last."""
        return {r[0]: (int(r[1]), str(r[2])) for r in self._db.execute("SELECT * FROM scenario_progress")}

    # --- feedback -----------------------------------------------------------------------------------
    def save_feedback(self, session_id: str, report: FeedbackReport) -> None:
        """Save a session's feedback and its criterion scores (replacing earlier ones), with its outbox row."""
        scores = {c.criterion.value: c.score for c in report.criteria}
        estimate = report.estimate.score if report.estimate else None
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO feedback (session_id, report, estimate, created_at, scores) "
                             "VALUES (?, ?, ?, ?, ?)",
                             (session_id, dumps_json(report.as_dict()), estimate, self._now(), dumps_json(scores)))
            self._db.execute("DELETE FROM criterion_scores WHERE session_id = ?", (session_id,))
            self._db.executemany("INSERT INTO criterion_scores VALUES (?, ?, ?)",
                                 [(session_id, c, s) for c, s in scores.items()])
            self._outbox("feedback", session_id, {"estimate": estimate, "scores": scores})

    def load_feedback(self, session_id: str) -> FeedbackReport | None:
        """A session's saved feedback, if this computer has the full report (not when only the summary of
        another computer's session is here)."""
        row = self._db.execute("SELECT report FROM feedback WHERE session_id = ? AND summary_only = 0",
                               (session_id,)).fetchone()
        return FeedbackReport.from_dict(json.loads(row[0])) if row else None

    def unscored_sessions(self) -> list[str]:
        """Finished or ended-early sessions practised here without feedback, oldest first (another computer's
        sessions are scored there: this one may not have their audio or transcript)."""
        return [r[0] for r in self._db.execute(
            "SELECT id FROM sessions s WHERE status IN ('finished', 'ended_early') AND origin IS NULL AND NOT "
            "EXISTS (SELECT 1 FROM feedback f WHERE f.session_id = s.id) ORDER BY started_at").fetchall()]

    def all_feedback(self) -> list[FeedbackReport]:
        """Every full report saved, oldest session first (summaries of other computers' sessions: see
        :meth:`progress_summaries`)."""
        rows = self._db.execute("SELECT f.report FROM feedback f JOIN sessions s ON s.id = f.session_id "
                                "WHERE f.summary_only = 0 ORDER BY s.started_at, s.id").fetchall()
        return [FeedbackReport.from_dict(json.loads(r[0])) for r in rows]

    # --- retention ----------------------------------------------------------------------------------
    def retention_days(self) -> int | None:
        """Days audio is kept (None: kept until the user deletes it)."""
        value = self.setting(RETENTION_SETTING)
        return int(value) if value else None

    def apply_retention(self, now: datetime | None = None) -> RetentionResult:
        """Delete the audio of sessions older than the retention setting (their transcripts, feedback and scores
        stay), overwriting it (``secure_delete``) and handing the freed pages back to the file system, so the
        recordings leave the file. Returns how many sessions lost their audio (the result is that number) and
        the bytes the database shrank by (``bytes_freed``)."""
        days = self.retention_days()
        if not days:
            return RetentionResult(0)
        cutoff = ((now or datetime.now(UTC)) - timedelta(days=days)).isoformat(timespec="seconds")
        with self._transaction():
            ids = [r[0] for r in self._db.execute(
                "SELECT id FROM sessions WHERE started_at < ? AND status != 'in_progress' AND audio_removed_at IS "
                "NULL AND EXISTS (SELECT 1 FROM audio_segments a WHERE a.session_id = id)", (cutoff,)).fetchall()]
            for session_id in ids:
                self._db.execute("DELETE FROM audio_segments WHERE session_id = ?", (session_id,))
                self._db.execute("UPDATE sessions SET audio_removed_at = ? WHERE id = ?", (self._now(), session_id))
        if not ids:
            return RetentionResult(0)
        try:
            freed = reclaim_free_pages(self._db)
        except sqlcipher3.Error as error:  # the audio is deleted and overwritten; only the file did not shrink
            log.warning("the space of deleted audio in %s was not handed back: %s", self._path(), error)
            freed = 0
        log.info("retention deleted the audio of %d session(s), %d bytes freed", len(ids), freed)
        return RetentionResult(len(ids), freed)

    # --- export and import --------------------------------------------------------------------------
    def dump_tables(self) -> dict[str, list[dict[str, Any]]]:
        """Every record but the audio, table by table (for "export everything")."""
        out: dict[str, list[dict[str, Any]]] = {}
        for table in EXPORTED_TABLES:
            cursor = self._db.execute(f"SELECT * FROM {table} ORDER BY rowid")  # table names are ours
            names = [d[0] for d in cursor.description]
            out[table] = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        return out

    def restore_tables(self, tables: dict[str, list[dict[str, Any]]], audio: Iterable[tuple[str, AudioSegment]]) -> int:
        """Add exported records (and ``(session id, segment)`` audio) in one transaction: all or nothing.
        Sessions already in the profile are left as they are, and so are its owner and settings unless it has no
        sessions yet; returns how many sessions were added."""
        with self._transaction():
            existing = {r[0] for r in self._db.execute("SELECT id FROM sessions").fetchall()}
            added = {str(row.get("id")) for row in tables.get("sessions", [])} - existing
            fresh = not existing  # a new profile takes the archive's owner and settings
            for table in EXPORTED_TABLES:
                known = {r[1] for r in self._db.execute(f"PRAGMA table_info({table})").fetchall()}
                for row in tables.get(table, []):
                    unknown = set(row) - known
                    if unknown:
                        raise UserFacingError(f"The archive's {table} records have fields this app does not know "
                                              f"({', '.join(sorted(unknown))}).",
                                              "Import it with the app version that exported it, or a newer one.")
                    if table == "outbox":  # numbered afresh after this profile's own; the idempotency key dedupes
                        row = {k: v for k, v in row.items() if k != "seq"}
                    session_id = row.get("id") if table == "sessions" else row.get("session_id")
                    if (table == "sessions" or "session_id" in known) and session_id not in added:
                        continue
                    verb = "INSERT OR REPLACE" if fresh and table in ("profile", "settings", "subscription_cache") \
                        else "INSERT OR IGNORE"
                    self._db.execute(f"{verb} INTO {table} ({', '.join(row)}) "  # columns checked above
                                     f"VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))
            next_seq: dict[str, int] = {}
            for session_id, segment in audio:
                if session_id in added:
                    seq = next_seq.get(session_id, 0)
                    next_seq[session_id] = seq + 1
                    self._db.execute("INSERT INTO audio_segments VALUES (?, ?, ?, ?, ?, ?)",
                                     (session_id, segment.track, seq, segment.start_s, segment.sample_rate,
                                      segment.blob()))
        return len(added)

    def pending_changes(self) -> int:
        """Outbox rows not yet synced."""
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
