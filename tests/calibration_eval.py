"""Figures of the feedback against a calibration set: Spearman between intended and measured levels per
criterion, mixed profiles caught on their weak criterion, strong scripts within one level of the intended
level with their estimate in the intended grade, and no criterion on which a weak script outscores the strong
script of the same role-play."""

from __future__ import annotations

import math
from typing import Any

from scipy.stats import spearmanr

from oet_desktop.core.assessment.criteria import ALL_CRITERIA, Criterion
from oet_desktop.core.assessment.estimate import _scale, grade
from oet_desktop.core.assessment.report import FeedbackReport
from tests.calibration import CalibrationCase

Scored = list[tuple[CalibrationCase, FeedbackReport]]
CAUGHT_MARGIN = 0.25
"""A mixed profile is caught when its weak criterion's share of the maximum is at least this far below the mean
share of its other criteria, and below the strong script's."""


def share(report: FeedbackReport, criterion: Criterion) -> float:
    """A criterion's score as a share of its maximum."""
    score = report.scores()[criterion]
    assert score is not None, f"{report.session_id}: {criterion} not assessed"
    return score / criterion.maximum


def spearman(scored: Scored) -> dict[str, float]:
    """Spearman's rho per criterion (NaN when every score is equal)."""
    table = {}
    for criterion in ALL_CRITERIA:
        intended = [case.intended[criterion] for case, _ in scored]
        measured = [report.scores()[criterion] for _, report in scored]
        rho = float(spearmanr(intended, measured).statistic)
        table[criterion.value] = round(rho, 3) if not math.isnan(rho) else rho
    return table


def mixed_profiles(scored: Scored) -> list[dict[str, Any]]:
    """For each mixed profile and weak criterion: its share, the other criteria's mean share, the strong
    script's share, and whether it was caught."""
    strong = {case.scenario: report for case, report in scored if case.profile == "strong"}
    rows = []
    for case, report in scored:
        if not case.caught_on:
            continue
        others = [c for c in ALL_CRITERIA if c not in case.caught_on]
        mean = sum(share(report, c) for c in others) / len(others)
        for criterion in case.caught_on:
            weak = share(report, criterion)
            versus = share(strong[case.scenario], criterion)
            rows.append({"case": case.id, "criterion": criterion.value, "share": round(weak, 3),
                         "others_mean": round(mean, 3), "strong_share": round(versus, 3),
                         "caught": weak <= mean - CAUGHT_MARGIN and weak < versus})
    return rows


def intended_grade(case: CalibrationCase) -> str:
    """The grade the intended levels convert to (the app's own conversion)."""
    return grade(_scale(sum(case.intended.values())))


def strong_scripts(scored: Scored) -> list[dict[str, Any]]:
    """Each strong script: criteria more than one level from the intended level, and its estimate's grade
    against the intended grade."""
    rows = []
    for case, report in scored:
        if case.profile != "strong":
            continue
        scores = report.scores()
        off = {c.value: [case.intended[c], scores[c]] for c in ALL_CRITERIA
               if scores[c] is None or abs((scores[c] or 0) - case.intended[c]) > 1}
        measured = report.estimate.grade if report.estimate else None
        rows.append({"case": case.id, "off_by_more_than_one": off, "estimate": report.estimate.score
                     if report.estimate else None, "grade": measured, "intended_grade": intended_grade(case),
                     "grade_ok": measured == intended_grade(case)})
    return rows


def weak_above_strong(scored: Scored) -> list[str]:
    """Criteria on which a weak script scored higher than the strong script of the same role-play."""
    strong = {case.scenario: report.scores() for case, report in scored if case.profile == "strong"}
    found = []
    for case, report in scored:
        if case.profile != "weak" or case.scenario not in strong:
            continue
        for criterion, score in report.scores().items():
            if score is not None and (strong[case.scenario][criterion] or 0) < score:
                found.append(f"{case.id}: {criterion.value} {score} > strong {strong[case.scenario][criterion]}")
    return found


def figures(scored: Scored) -> dict[str, Any]:
    """Every figure, as JSON."""
    mixed = mixed_profiles(scored)
    strong = strong_scripts(scored)
    return {
        "cases": len(scored),
        "spearman": spearman(scored),
        "mixed_profiles": mixed,
        "mixed_caught": sum(r["caught"] for r in mixed),
        "strong_scripts": strong,
        "strong_within_one": sum(not r["off_by_more_than_one"] for r in strong),
        "strong_grade_ok": sum(r["grade_ok"] for r in strong),
        "weak_above_strong": weak_above_strong(scored),
        "scores": {case.id: {c.value: [case.intended[c], report.scores()[c]] for c in ALL_CRITERIA}
                   for case, report in scored},
        "estimates": {case.id: report.estimate.score if report.estimate else None for case, report in scored},
    }
