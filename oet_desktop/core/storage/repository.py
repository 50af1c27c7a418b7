"""The profile repository: every read and write of practice data, each change saved in one transaction with
its outbox row for the future sync. Used only on the storage thread (see :mod:`worker`)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import soundfile

from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.storage.database import Connection

PATIENT_RATE = 22_050


def utc_now() -> str:
    """The current time, ISO 8601 in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, np.clip(samples, -1.0, 1.0), rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


@dataclass(frozen=True)
class SessionListing:
    """One row of the history: a session with its scores (None where not assessed or not yet scored)."""

    session_id: str
    scenario_id: str
    started_at: str
    status: str
    estimate: int | None
    scores: dict[str, int | None]


class ProfileRepository:
    """Reads and writes one profile's data through an open connection."""

    def __init__(self, connection: Connection, now: Callable[[], str] = utc_now) -> None:
        self._db = connection
        self._now = now

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _outbox(self, entity: str, entity_id: str, payload: dict[str, Any], operation: str = "upsert") -> None:
        self._db.execute(
            "INSERT INTO outbox (entity, entity_id, operation, payload, idempotency_key, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (entity, entity_id, operation, json.dumps(payload), str(uuid.uuid4()), self._now()))

    def save_session(self, session_id: str, record: SessionRecord, status: str, with_audio: bool = True) -> None:
        """Save the whole session (turns, events and both audio tracks) in one transaction: all of it or none.
        Saving again replaces the earlier save (the engine saves as it goes)."""
        turns = [(session_id, turn.index, json.dumps(asdict(turn), default=float)) for turn in record.turns]
        audio = []
        if with_audio:
            for track, rate in (("candidate", SAMPLE_RATE), ("patient", PATIENT_RATE)):
                samples = record.track(track, rate)
                if samples.size:
                    audio.append((session_id, track, rate, _wav_bytes(samples, rate), self._now()))
        ended = self._now() if status != "in_progress" else None
        with self._transaction():
            self._db.execute(
                "INSERT INTO sessions (id, scenario_id, mode, turn_mode, started_at, ended_at, status, models, events)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET ended_at = excluded.ended_at, "
                "status = excluded.status, events = excluded.events",
                (session_id, record.scenario_id, record.mode, record.turn_mode, record.started_at, ended, status,
                 json.dumps(record.models), json.dumps(record.events)))
            self._db.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            self._db.executemany("INSERT INTO turns (session_id, turn_index, data) VALUES (?, ?, ?)", turns)
            self._db.executemany("INSERT OR REPLACE INTO audio (session_id, track, sample_rate, wav, saved_at) "
                                 "VALUES (?, ?, ?, ?, ?)", audio)
            self._outbox("session", session_id, {"scenario_id": record.scenario_id, "started_at": record.started_at,
                                                 "status": status, "turns": len(turns)})

    def save_feedback(self, session_id: str, report: FeedbackReport) -> None:
        """Save a session's feedback and its criterion scores (replacing earlier ones), with its outbox row."""
        scores = [(session_id, c.criterion.value, c.score) for c in report.criteria]
        estimate = report.estimate.score if report.estimate else None
        with self._transaction():
            self._db.execute("INSERT OR REPLACE INTO feedback (session_id, report, estimate, created_at) "
                             "VALUES (?, ?, ?, ?)", (session_id, json.dumps(report.as_dict()), estimate, self._now()))
            self._db.execute("DELETE FROM criterion_scores WHERE session_id = ?", (session_id,))
            self._db.executemany("INSERT INTO criterion_scores VALUES (?, ?, ?)", scores)
            self._outbox("feedback", session_id, {"estimate": estimate,
                                                  "scores": {c: s for _, c, s in scores}})

    def load_feedback(self, session_id: str) -> FeedbackReport | None:
        """A session's saved feedback, if any."""
        row = self._db.execute("SELECT report FROM feedback WHERE session_id = ?", (session_id,)).fetchone()
        return FeedbackReport.from_dict(json.loads(row[0])) if row else None

    def list_sessions(self, limit: int | None = None) -> list[SessionListing]:
        """Sessions newest first, with their estimate and nine scores (one query)."""
        rows = self._db.execute(
            "SELECT s.id, s.scenario_id, s.started_at, s.status, f.estimate, "
            "(SELECT json_group_object(criterion, score) FROM criterion_scores c WHERE c.session_id = s.id) "
            "FROM sessions s LEFT JOIN feedback f ON f.session_id = s.id ORDER BY s.started_at DESC LIMIT ?",
            (-1 if limit is None else limit,)).fetchall()
        return [SessionListing(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else {}) for r in rows]

    def session_count(self) -> int:
        """How many sessions are saved."""
        return int(self._db.execute("SELECT count(*) FROM sessions").fetchone()[0])

    def pending_changes(self) -> int:
        """Outbox rows not yet synced."""
        return int(self._db.execute("SELECT count(*) FROM outbox").fetchone()[0])
