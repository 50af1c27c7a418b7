"""Progress over many sessions: history, trends per criterion, the weakest criteria, readiness for grade B,
and which role-play to practise next."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from oet_desktop.core.assessment.criteria import ALL_CRITERIA, Criterion
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.content.scenario import Scenario


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
    def gap_to_b(self) -> float | None:
        """Recent mean minus the grade-B level, as shares of the maximum (negative: below B)."""
        if self.recent_mean is None:
            return None
        return self.recent_mean - self.criterion.b_level / self.criterion.maximum

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


RECENT = 3
CALM_STANCES = frozenset({"", "calm", "cooperative", "neutral", "curious", "friendly"})


def _mean_share(scores: list[int], criterion: Criterion) -> Fraction:
    """The mean of scores as an exact share of the maximum (no float drift: 15/18 is exactly 5/6)."""
    return Fraction(sum(scores), len(scores) * criterion.maximum)


def _trend(criterion: Criterion, values: list[int | None]) -> Trend:
    """Means and change are kept unrounded, so a mean of exactly B level compares equal to it; round only for
    display."""
    scores = [v for v in values if v is not None]
    if not scores:
        return Trend(criterion, tuple(values), None, None)
    recent = scores[-RECENT:]
    earlier = scores[:-RECENT] or (scores[:1] if len(scores) >= 2 else [])
    recent_mean = _mean_share(recent, criterion)
    change = None if not earlier else recent_mean - _mean_share(earlier, criterion)
    if len(scores) >= 2 and len(scores) <= RECENT:
        change = Fraction(scores[-1] - scores[0], criterion.maximum)
    return Trend(criterion, tuple(values), float(recent_mean), None if change is None else float(change))


def summarise(report: FeedbackReport) -> SessionSummary:
    """A stored feedback report as one row of the history."""
    return SessionSummary(report.session_id, report.taken_at, report.scenario_id, report.scenario_title,
                          report.profession, report.scores(),
                          report.estimate.score if report.estimate else None,
                          report.estimate.grade if report.estimate else None)


def _readiness(sessions: list[SessionSummary], trends: list[Trend]) -> Readiness:
    recent = sessions[-RECENT:]
    below = tuple(t.criterion for t in trends
                  if t.recent_mean is None or t.recent_mean < t.criterion.b_level / t.criterion.maximum)
    estimates = [s.estimate for s in recent if s.estimate is not None]
    at_b = sum(e >= 350 for e in estimates)
    if len(sessions) < 2:
        return Readiness(False, len(recent), below, "Complete at least two role-plays to judge readiness for "
                                                    "grade B.")
    ready = not below and at_b >= min(2, len(recent))
    if ready:
        text = (f"Ready for grade B on recent form: every criterion is at B level on average over your last "
                f"{len(recent)} role-plays, and {at_b} of them reached an estimated 350.")
    else:
        names = ", ".join(c.label for c in below[:4])
        text = (f"Not yet at grade B: {names} {'is' if len(below) == 1 else 'are'} below B level on recent form"
                if below else f"Only {at_b} of your last {len(recent)} role-plays reached an estimated 350")
        text += " (B level is about 5/6 on the language criteria and 2/3 on the clinical ones; unofficial)."
    return Readiness(ready, len(recent), below, text)


def _affinity(scenario: Scenario, criterion: Criterion) -> float:
    """How much a role-play exercises a criterion (its traits, not its wording)."""
    card = scenario.interlocutor
    stance = (card.stance or "").lower()
    tasks = scenario.candidate.tasks
    if criterion in (Criterion.RELATIONSHIP, Criterion.PERSPECTIVE):
        return (0.0 if stance in CALM_STANCES else 2.0) + len(card.cues) * 0.2
    if criterion is Criterion.APPROPRIATENESS:
        return float(len(scenario.lay_terms))
    if criterion is Criterion.GATHERING:
        return float(len(card.facts))
    if criterion is Criterion.GIVING:
        return float(sum(t.text.split()[0].lower() in ("explain", "advise", "reassure", "recommend", "outline",
                                                       "describe", "tell") for t in tasks))
    if criterion is Criterion.STRUCTURE:
        return float(len(tasks))
    return float(scenario.difficulty or 2)


_TRAIT = {
    Criterion.RELATIONSHIP: "an emotionally charged patient", Criterion.PERSPECTIVE: "a patient with strong views",
    Criterion.APPROPRIATENESS: "many technical terms to explain", Criterion.GATHERING: "a lot to find out",
    Criterion.GIVING: "a lot to explain", Criterion.STRUCTURE: "many tasks to organise",
}


def _recommend(sessions: list[SessionSummary], trends: list[Trend], weakest: list[Criterion],
               scenarios: list[Scenario], profession: str | None) -> Recommendation | None:
    if not scenarios:
        return None
    professions = [s.profession for s in sessions]
    # The profession practised most; on a tie, the one practised most recently (never set order).
    wanted = profession or (max(professions, key=lambda p: (professions.count(p), _last_index(professions, p)))
                            if professions else None)
    pool = [s for s in scenarios if wanted is None or s.profession.label == wanted or s.profession.value == wanted]
    pool = pool or scenarios
    done = {s.scenario_id for s in sessions}
    fresh = [s for s in pool if s.id not in done]
    target = weakest[0] if weakest else None
    candidates = fresh or pool
    if target is None:
        choice = candidates[0]
        return Recommendation(choice.id, choice.title, "A role-play you have not practised yet.")
    last_seen = {s.scenario_id: i for i, s in enumerate(sessions)}
    choice = max(candidates, key=lambda s: (_affinity(s, target), -last_seen.get(s.id, -1), s.id))
    stance = f" ({choice.interlocutor.stance})" if choice.interlocutor.stance else ""
    if target in _TRAIT:
        trait = _TRAIT[target] + (stance if "patient" in _TRAIT[target] else "")
        what = f"It has {trait}"
    else:
        what = f"It is a demanding role-play (difficulty {choice.difficulty or 2} of 3) with a lot to say"
    novelty = "You have not practised it yet. " if choice.id not in done else ""
    gap = next((t.gap_to_b for t in trends if t.criterion is target), None)
    standing = ("the criterion furthest below grade-B level on recent form" if gap is not None and gap < 0 else
                "your lowest criterion on recent form (already at grade-B level: this keeps it there)")
    return Recommendation(choice.id, choice.title, f"{novelty}{what}, which works on {target.label}, {standing}.")


def _last_index(items: list[str], item: str) -> int:
    return max(i for i, value in enumerate(items) if value == item)


def build_progress(reports: list[FeedbackReport], scenarios: list[Scenario],
                   profession: str | None = None) -> ProgressReport:
    """History, trends, weakest criteria, readiness and the next role-play, from stored feedback reports."""
    return progress_from_summaries([summarise(r) for r in reports], scenarios, profession)


def progress_from_summaries(summaries: list[SessionSummary], scenarios: list[Scenario],
                            profession: str | None = None) -> ProgressReport:
    """History, trends, weakest criteria, readiness and the next role-play, from the sessions' summaries (a
    full report's :func:`summarise`, or the summary another computer synced: both give the same progress)."""
    sessions = sorted(summaries, key=lambda s: (s.taken_at or "", s.session_id))
    trends = [_trend(c, [s.scores.get(c) for s in sessions]) for c in ALL_CRITERIA]
    assessed = [t for t in trends if t.recent_mean is not None]
    weakest = [t.criterion for t in sorted(assessed, key=lambda t: (
        (t.recent_mean or 0.0) - t.criterion.b_level / t.criterion.maximum, ALL_CRITERIA.index(t.criterion)))][:3]
    notes = []
    missing = [t.criterion.label for t in trends if t.recent_mean is None]
    if sessions and missing:
        notes.append("Never assessed so far: " + ", ".join(missing) + " (for example, no microphone audio).")
    if not sessions:
        notes.append("No role-plays yet: practise one and your progress will appear here.")
    return ProgressReport(sessions, trends, weakest, _readiness(sessions, trends),
                          _recommend(sessions, trends, weakest, scenarios, profession), notes)
