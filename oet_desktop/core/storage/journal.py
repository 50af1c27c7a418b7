"""Saving a role-play as it goes: after every turn the turns, events and the audio new since the last save are
written in one transaction on the storage thread, so a crash mid role-play keeps everything up to the crash
and the role-play itself never waits for the disk."""

from __future__ import annotations

import logging
from concurrent.futures import Future
from dataclasses import asdict

from oet_desktop.core.audio.types import SAMPLE_RATE, Track
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.storage.repository import SessionSnapshot
from oet_desktop.core.storage.segments import AudioSegment, join_pieces
from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger(__name__)


class SessionJournal:
    """Keeps one role-play's record saved in the profile. Call :meth:`checkpoint` after each turn (it never
    waits) and :meth:`finish` at the end (it waits, and raises if the last save failed)."""

    def __init__(self, storage: StorageThread, session_id: str, record: SessionRecord) -> None:
        self.session_id = session_id
        self._storage = storage
        self._record = record
        self._candidate_taken = 0
        self._patient_taken = 0
        self._in_flight: list[tuple[Future[None], list[AudioSegment]]] = []
        self._unsaved: list[AudioSegment] = []
        self.last_error: Exception | None = None
        """The most recent failed save (its audio goes with the next save, which also rewrites the turns)."""

    def _collect(self, wait: bool) -> None:
        """Note which saves are done; the audio of a failed one is kept for the next save."""
        still = []
        for future, segments in self._in_flight:
            if not wait and not future.done():
                still.append((future, segments))
                continue
            try:
                future.result()
                self.last_error = None
            except Exception as error:
                log.warning("saving session %s failed: %s", self.session_id, error)
                self.last_error = error
                self._unsaved.extend(segments)
        self._in_flight = still

    def _snapshot(self, status: str) -> SessionSnapshot:
        record = self._record
        candidate = record.candidate_audio[self._candidate_taken:]
        patient = record.patient_audio[self._patient_taken:]
        self._candidate_taken += len(candidate)
        self._patient_taken += len(patient)
        segments = (self._unsaved + join_pieces(Track.CANDIDATE, [(t, a, SAMPLE_RATE) for t, a in candidate])
                    + join_pieces(Track.PATIENT, patient))
        self._unsaved = []
        return SessionSnapshot(self.session_id, record.scenario_id, record.mode, record.turn_mode,
                               record.started_at, dict(record.models), list(record.events),
                               [asdict(turn) for turn in record.turns], status, segments, replace_audio=False)

    def checkpoint(self, status: str = "in_progress") -> None:
        """Queue a save of everything new; returns at once (a failure shows in :attr:`last_error`)."""
        self._collect(wait=False)
        snapshot = self._snapshot(status)
        try:
            future = self._storage.submit(lambda repo: repo.save_snapshot(snapshot))
        except RuntimeError as error:  # the storage thread was shut down: keep the audio for a later save
            log.warning("saving session %s (%s) failed: the profile is closed (%s)", self.session_id, status, error)
            self._unsaved = snapshot.segments + self._unsaved
            self.last_error = error
            return
        self._in_flight.append((future, snapshot.segments))

    def finish(self, status: str) -> None:
        """Save the rest with the final status and wait; raises the storage error if it could not be saved. A
        failure is also logged (with the status, e.g. "interrupted"), since a caller already handling another
        error may drop this one to show the first."""
        try:
            self._collect(wait=True)
            self.checkpoint(status)
            self._collect(wait=True)
        except Exception as error:
            log.warning("session %s could not be saved as %s: %s", self.session_id, status, error)
            raise
        if self.last_error is not None:
            log.warning("session %s could not be saved as %s (turns and audio up to the last good save are kept): "
                        "%s", self.session_id, status, self.last_error)
            raise self.last_error
