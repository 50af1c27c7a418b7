"""The feedback report: what a candidate (and the PDF) sees after a role-play, as plain data with a JSON form."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from oet_desktop.core.assessment.criteria import Criterion

REPORT_FORMAT = 1


@dataclass(frozen=True)
class Quote:
    """Words from the transcript, with when they were said (seconds on the session timeline)."""

    text: str
    at: float | None
    turn: int | None = None
    speaker: str = "candidate"


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator: met (True), missed (False) or not assessed (None), why, and the quotes it rests on."""

    id: str
    label: str
    met: bool | None
    note: str
    quotes: tuple[Quote, ...] = ()


class Confidence(StrEnum):
    """How sure a criterion's score is (NONE when it was not assessed)."""

    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    NONE = "none"


@dataclass(frozen=True)
class CriterionResult:
    """A criterion's score (None when it could not be assessed), how sure we are, and the evidence."""

    criterion: Criterion
    score: int | None
    maximum: int
    confidence: Confidence
    summary: str
    indicators: tuple[IndicatorResult, ...]
    not_assessed: str | None = None
    """Why no score was given (e.g. no candidate audio)."""

    @property
    def label(self) -> str:
        """The criterion's name."""
        return self.criterion.label

    @property
    def met(self) -> list[IndicatorResult]:
        """Indicators shown in this role-play."""
        return [i for i in self.indicators if i.met is True]

    @property
    def missed(self) -> list[IndicatorResult]:
        """Indicators not shown."""
        return [i for i in self.indicators if i.met is False]


@dataclass(frozen=True)
class Estimate:
    """An estimated 0–500 figure with its range and grade. The official conversion is not published."""

    score: int
    low: int
    high: int
    grade: str
    grade_range: str
    """Grades the range spans, e.g. "C+–B"."""
    reaches_b: bool | None
    """True if even the low end reaches 350, False if even the high end does not, None if the range straddles it."""
    disclaimer: str


@dataclass(frozen=True)
class JargonFinding:
    """A technical term the candidate used, the everyday wording, and whether they explained it."""

    term: str
    lay: str
    explained: bool
    quote: Quote


@dataclass(frozen=True)
class TaskCoverage:
    """One task of the candidate card: covered or not, and the closest thing the candidate said."""

    id: str
    text: str
    covered: bool
    similarity: float
    quote: Quote | None


@dataclass(frozen=True)
class Line:
    """One utterance of the transcript."""

    speaker: str
    text: str
    start: float
    end: float
    turn: int | None = None


@dataclass
class FeedbackReport:
    """Everything the feedback screen and the session PDF show."""

    session_id: str
    scenario_id: str
    scenario_title: str
    profession: str
    setting: str
    candidate_role: str
    background: str
    tasks: list[TaskCoverage]
    taken_at: str | None
    """ISO 8601 time the role-play started, when known."""
    duration_s: float
    criteria: list[CriterionResult]
    measures: dict[str, float | None]
    """Named measures (see docs/feedback.md); None where a measure could not be computed."""
    jargon: list[JargonFinding]
    estimate: Estimate | None
    summary: str
    next_steps: list[str]
    narrative_source: str
    """"template" or "llm"."""
    transcript: list[Line]
    not_assessed: list[str] = field(default_factory=list)
    """Plain sentences saying what could not be assessed and why."""
    format: int = REPORT_FORMAT

    def criterion(self, criterion: Criterion) -> CriterionResult:
        """The result for one criterion."""
        return next(c for c in self.criteria if c.criterion is criterion)

    def scores(self) -> dict[Criterion, int | None]:
        """Each criterion's score (None when not assessed)."""
        return {c.criterion: c.score for c in self.criteria}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        for item in data["criteria"]:
            item["criterion"] = str(item["criterion"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FeedbackReport:
        """Rebuild a report from :meth:`as_dict` output."""
        def quote(raw: dict[str, Any] | None) -> Quote | None:
            return Quote(**raw) if raw else None

        criteria = [
            CriterionResult(
                criterion=Criterion(item["criterion"]), score=item["score"], maximum=item["maximum"],
                confidence=Confidence(item["confidence"]), summary=item["summary"],
                not_assessed=item.get("not_assessed"),
                indicators=tuple(
                    IndicatorResult(i["id"], i["label"], i["met"], i["note"],
                                    tuple(Quote(**q) for q in i.get("quotes", ())))
                    for i in item["indicators"]),
            )
            for item in data["criteria"]
        ]
        estimate = Estimate(**data["estimate"]) if data.get("estimate") else None
        return cls(
            session_id=data["session_id"], scenario_id=data["scenario_id"], scenario_title=data["scenario_title"],
            profession=data["profession"], setting=data["setting"], candidate_role=data["candidate_role"],
            background=data["background"],
            tasks=[TaskCoverage(t["id"], t["text"], t["covered"], t["similarity"], quote(t.get("quote")))
                   for t in data["tasks"]],
            taken_at=data.get("taken_at"), duration_s=data["duration_s"], criteria=criteria,
            measures=dict(data["measures"]),
            jargon=[JargonFinding(j["term"], j["lay"], j["explained"], Quote(**j["quote"])) for j in data["jargon"]],
            estimate=estimate, summary=data["summary"], next_steps=list(data["next_steps"]),
            narrative_source=data["narrative_source"], transcript=[Line(**line) for line in data["transcript"]],
            not_assessed=list(data.get("not_assessed", [])), format=data.get("format", REPORT_FORMAT),
        )
