"""Progress must compare the recent mean with the grade-B level unrounded: a criterion averaging exactly B is at B."""

from __future__ import annotations

import dataclasses

import pytest

from oet_desktop.core.assessment.criteria import ALL_CRITERIA, Criterion
from oet_desktop.core.assessment.estimate import estimate
from oet_desktop.core.assessment.progress import _trend, build_progress
from oet_desktop.core.assessment.report import FeedbackReport
from tests.report_samples import sample_feedback_report


def _report(day: int, scores: dict[Criterion, int | None]) -> FeedbackReport:
    base = sample_feedback_report()
    criteria = [dataclasses.replace(c, score=scores[c.criterion]) for c in base.criteria]
    return dataclasses.replace(base, session_id=f"s{day}", taken_at=f"2026-11-{day:02d}T10:00:00+00:00",
                               scenario_id="x", criteria=criteria, profession="Nursing",
                               estimate=estimate(criteria))


def _at_b() -> dict[Criterion, int | None]:
    return {c: c.b_level for c in ALL_CRITERIA}


@pytest.mark.parametrize("recent", [[5, 5, 5], [4, 5, 6], [6, 4, 5], [5]])
def test_a_linguistic_criterion_averaging_exactly_b_is_at_b(recent: list[int]) -> None:
    trend = _trend(Criterion.FLUENCY, list(recent))
    assert trend.gap_to_b is not None
    assert trend.gap_to_b >= 0


@pytest.mark.parametrize("recent", [[2, 2, 2], [1, 2, 3], [3, 1, 2]])
def test_a_clinical_criterion_averaging_exactly_b_is_at_b(recent: list[int]) -> None:
    trend = _trend(Criterion.GATHERING, list(recent))
    assert trend.gap_to_b is not None
    assert trend.gap_to_b >= 0


def test_progress_at_exactly_grade_b_is_not_reported_below_b() -> None:
    progress = build_progress([_report(d, _at_b()) for d in (1, 2, 3)], [])
    assert progress.readiness.criteria_below_b == ()
    assert "below B" not in progress.readiness.explanation
    assert all((e.estimate or 0) >= 350 for e in progress.sessions)
    assert progress.readiness.ready


def test_a_criterion_just_under_b_is_still_below_b() -> None:
    scores = [_at_b() for _ in range(3)]
    scores[-1][Criterion.FLUENCY] = 4   # recent fluency mean 14/18 < 5/6
    progress = build_progress([_report(d, s) for d, s in zip((1, 2, 3), scores, strict=True)], [])
    assert progress.readiness.criteria_below_b == (Criterion.FLUENCY,)
