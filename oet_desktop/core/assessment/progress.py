"""Progress over many sessions: history, trends per criterion, the weakest criteria, readiness for grade B,
and which role-play to practise next."""

from __future__ import annotations

from dataclasses import dataclass, field

from oet_desktop.core.assessment.criteria import Criterion


@dataclass(frozen=True)
class SessionSummary:
    """One past role-play as progress sees it."""

    session_id: str
    taken_at: str | None
    scenario_id: str
    scenario_title: str
    profession: str
    scores: dict[Criterion, int | None]
    estimate: int | None
    grade: str | None


@dataclass(frozen=True)
class Trend:
    """A criterion over time: its scores in order (None = not assessed), the recent mean and the direction."""

    criterion: Criterion
    values: tuple[int | None, ...]
    recent_mean: float | None
    """Mean of the last (up to) three assessed scores, as a share of the maximum (0–1)."""
    change: float | None
    """Recent mean minus the mean of the earlier scores, as a share of the maximum; None with fewer than 2."""

    @property
    def direction(self) -> str:
        """"improving", "steady", "slipping" or "not enough data"."""
        if self.change is None:
            return "not enough data"
        if self.change >= 0.1:
            return "improving"
        if self.change <= -0.1:
            return "slipping"
        return "steady"


@dataclass(frozen=True)
class Readiness:
    """Whether recent sessions are at grade-B level, and what stands in the way."""

    ready: bool
    sessions_considered: int
    criteria_below_b: tuple[Criterion, ...]
    explanation: str


@dataclass(frozen=True)
class Recommendation:
    """The role-play to practise next, and why."""

    scenario_id: str
    scenario_title: str
    reason: str


@dataclass
class ProgressReport:
    """What the history screen and the progress PDF show."""

    sessions: list[SessionSummary]
    trends: list[Trend]
    weakest: list[Criterion]
    readiness: Readiness
    recommendation: Recommendation | None
    notes: list[str] = field(default_factory=list)
