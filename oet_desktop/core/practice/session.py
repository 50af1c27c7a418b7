"""The session state machine: exam mode (3:00 preparation, 5:00 role-play, closing line; two cards make a
full mock) and practice mode (untimed). Driven by an injectable :class:`Clock`; call :meth:`tick` often."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.practice.clock import Clock

PREPARATION_SECONDS = 180.0
ROLE_PLAY_SECONDS = 300.0


class Mode(StrEnum):
    """Exam mode is timed like the test; practice mode is untimed (hints allowed)."""

    EXAM = "exam"
    PRACTICE = "practice"


class Phase(StrEnum):
    """Where a session is."""

    NOT_STARTED = "not_started"
    PREPARING = "preparing"
    ROLE_PLAY = "role_play"
    CLOSING = "closing"  # the closing line is being said
    BETWEEN_CARDS = "between_cards"  # a full mock: the first card is done
    FINISHED = "finished"


@dataclass
class PhaseChange:
    """A transition, with the reason ("time up", "ended early", ...)."""

    phase: Phase
    card: int
    at: float
    reason: str


@dataclass
class PracticeSession:
    """One or two role-play cards run in order. ``on_change`` hears every transition."""

    scenarios: list[Scenario]
    mode: Mode
    clock: Clock
    on_change: Callable[[PhaseChange], None] | None = None
    preparation_seconds: float = PREPARATION_SECONDS
    role_play_seconds: float = ROLE_PLAY_SECONDS
    phase: Phase = Phase.NOT_STARTED
    card: int = 0
    history: list[PhaseChange] = field(default_factory=list)
    _phase_started: float = 0.0

    def __post_init__(self) -> None:
        if not 1 <= len(self.scenarios) <= 2:
            raise ValueError("a session has one card, or two for a full mock")

    @property
    def scenario(self) -> Scenario:
        """The card in play."""
        return self.scenarios[self.card]

    @property
    def timed(self) -> bool:
        """Whether timers apply (exam mode)."""
        return self.mode is Mode.EXAM

    def elapsed(self) -> float:
        """Seconds since the current phase began."""
        return self.clock.now() - self._phase_started

    def time_left(self) -> float | None:
        """Seconds left in the current timed phase; None when untimed."""
        if not self.timed:
            return None
        limits = {Phase.PREPARING: self.preparation_seconds, Phase.ROLE_PLAY: self.role_play_seconds}
        limit = limits.get(self.phase)
        return None if limit is None else max(0.0, limit - self.elapsed())

    def start(self) -> None:
        """Begin preparation for the first card."""
        self._require(Phase.NOT_STARTED)
        self._go(Phase.PREPARING, "started")

    def start_role_play(self) -> None:
        """End preparation (early, or when its time is up) and begin the role-play."""
        self._require(Phase.PREPARING)
        self._go(Phase.ROLE_PLAY, "preparation over")

    def end_role_play(self, reason: str = "ended early") -> None:
        """The role-play stops: the interlocutor says the closing line."""
        self._require(Phase.ROLE_PLAY)
        self._go(Phase.CLOSING, reason)

    def closing_said(self) -> None:
        """The closing line has been said: next card, or the end."""
        self._require(Phase.CLOSING)
        if self.card + 1 < len(self.scenarios):
            self._go(Phase.BETWEEN_CARDS, "card finished")
        else:
            self._go(Phase.FINISHED, "all cards finished")

    def next_card(self) -> None:
        """A full mock: prepare the second card."""
        self._require(Phase.BETWEEN_CARDS)
        self.card += 1
        self._go(Phase.PREPARING, "second card")

    def tick(self) -> None:
        """Apply the timers: preparation time up starts the role-play; role-play time up closes it. Each
        transition is dated when the time ran out, however late the tick, so a late tick never stretches
        the next phase."""
        while (left := self.time_left()) is not None and left <= 0:
            if self.phase is Phase.PREPARING:
                self._go(Phase.ROLE_PLAY, "preparation time up", self._phase_started + self.preparation_seconds)
            elif self.phase is Phase.ROLE_PLAY:
                self._go(Phase.CLOSING, "time up", self._phase_started + self.role_play_seconds)
            else:
                return

    def _require(self, *phases: Phase) -> None:
        if self.phase not in phases:
            raise RuntimeError(f"not possible while {self.phase.value}")

    def _go(self, phase: Phase, reason: str, at: float | None = None) -> None:
        self.phase = phase
        self._phase_started = self.clock.now() if at is None else at
        change = PhaseChange(phase, self.card, self._phase_started, reason)
        self.history.append(change)
        if self.on_change:
            self.on_change(change)
