"""One live role-play for the window: the engine on the real microphone and speaker, saved to the profile as it
goes, with a status snapshot (whose turn it is, the captions, the time left, the microphone level, problems)
that the window reads on a timer. Everything here may block and runs off the UI thread; :meth:`status` only
reads."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from enum import StrEnum

from oet_desktop.core.audio.types import AudioInput, AudioOutput, Track
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.practice.clock import Clock, MonotonicClock
from oet_desktop.core.practice.engine import TurnMode
from oet_desktop.core.practice.headless import PracticeParts, build_engine
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.practice.session import Mode, Phase, PracticeSession
from oet_desktop.core.practice.worker import RolePlayWorker
from oet_desktop.core.speech.vad import VadConfig
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger(__name__)



class LiveState(StrEnum):
    """Whose turn it is, as the window shows it."""

    STARTING = "starting"
    LISTENING = "listening"
    THINKING = "thinking"
    SPEAKING = "speaking"
    FINISHED = "finished"


@dataclass(frozen=True)
class Caption:
    """One line of the live captions."""

    speaker: Track
    text: str


@dataclass(frozen=True)
class LiveStatus:
    """What the window shows, read at any moment."""

    state: LiveState
    elapsed_s: float
    time_left_s: float | None
    captions: list[Caption] = field(default_factory=list)
    level_db: float = -100.0
    problem: str | None = None
    """A problem the candidate must know about (the microphone stopped, the engine failed)."""


class LivePractice:
    """A role-play through ``microphone`` and ``speaker``, saved as ``session_id`` in ``storage``."""

    def __init__(self, scenario: Scenario, mode: Mode, turn_mode: TurnMode, parts: PracticeParts,
                 microphone: AudioInput, speaker: AudioOutput, storage: StorageThread, session_id: str,
                 vad_config: VadConfig | None = None, clock: Clock | None = None) -> None:
        self.scenario = scenario
        self.session_id = session_id
        self.microphone = microphone
        self.speaker = speaker
        self.clock = clock or MonotonicClock()
        self.record = SessionRecord(scenario.id, mode.value, turn_mode.value, parts.models)
        self.session = PracticeSession([scenario], mode, self.clock)
        self.engine = build_engine(scenario, parts, self.session, speaker, self.clock, self.record, vad_config,
                                   turn_mode)
        self.journal = SessionJournal(storage, session_id, self.record)
        self.live = RolePlayWorker(self.engine, microphone, after_turn=self.journal.checkpoint)
        self._started = False
        self._stopped = False
        self._saved = False

    def start(self) -> None:
        """Warm the engines up, open the microphone and begin (slow the first time: call off the UI thread)."""
        self.session.start()
        self.live.start()
        self._started = True
        self.journal.checkpoint()

    def status(self) -> LiveStatus:
        """A snapshot for the window (cheap; safe from any thread)."""
        engine = self.engine
        if not self._started:
            state = LiveState.STARTING
        elif engine.finished and not engine.patient_speaking:
            state = LiveState.FINISHED
        elif engine.patient_speaking or engine.replying:
            state = LiveState.SPEAKING
        elif engine.thinking:
            state = LiveState.THINKING
        else:
            state = LiveState.LISTENING
        captions = []
        for turn in list(self.record.turns):
            if turn.candidate_text:
                captions.append(Caption(Track.CANDIDATE, turn.candidate_text))
            said = turn.heard_text if turn.heard_seconds is not None and turn.heard_text else turn.reply_text
            if said:
                captions.append(Caption(Track.PATIENT, said))
        error = getattr(self.microphone, "error", None)
        problem = (f"{error} Plug it back in and start again; everything said so far is saved." if error else
                   f"The role-play stopped because of an error: {self.live.error}" if self.live.error else None)
        elapsed = engine.now() if self._started else 0.0
        if self.session.phase is Phase.ROLE_PLAY:
            left = self.session.time_left()  # None in practice mode (untimed)
        else:
            left = 0.0 if self.session.timed and self._started else None
        return LiveStatus(state, elapsed, left, captions, self.microphone.level_dbfs, problem)

    def press(self) -> None:
        """Push-to-talk: speaking starts."""
        self.live.press()

    def release(self) -> None:
        """Push-to-talk: speaking ends (the reply is worked out on the role-play's worker)."""
        self.live.release()

    def type_turn(self, text: str) -> None:
        """A turn typed instead of spoken (the reply is worked out on the role-play's worker)."""
        if text.strip():
            self.live.type_turn(text.strip())

    @property
    def typed_only(self) -> bool:
        """The candidate types every turn (no microphone)."""
        return self.engine.turn_mode is TurnMode.TYPED

    def finish(self, end_early: bool = False) -> SessionRecord:
        """Stop (with the closing line when ending early), wait for the patient to finish, and save the whole
        role-play. The save is attempted whatever went wrong before it; raises the storage error if it failed
        (call again to retry)."""
        try:
            if not self._stopped:
                self._stopped = True
                microphone_gone = getattr(self.microphone, "error", None) is not None
                closing = (end_early or not self.engine.finished) and self.live.error is None and not microphone_gone
                self.live.stop(end_role_play=closing)
                self.speaker.wait(15)
        finally:
            cut_short = self.live.error is not None or getattr(self.microphone, "error", None)
            self._close_speaker()
            if not self._saved:
                self.journal.finish("interrupted" if cut_short else self.record.final_status())
                self._saved = True
        return self.record

    def _close_speaker(self) -> None:
        close = getattr(self.speaker, "close", None)
        if close is not None:
            close()

    def abandon(self) -> None:
        """The window is closing mid role-play: stop at once and keep everything so far as interrupted."""
        try:
            if not self._stopped:
                self._stopped = True
                self.live.stop(end_role_play=False)
                self.speaker.stop()
        finally:
            self._close_speaker()
            if not self._saved:
                self.journal.finish("interrupted")
                self._saved = True
