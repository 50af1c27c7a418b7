"""An estimate on the 0–500 scale from the nine scores. The official conversion is not published: this one
anchors the common rule of thumb for grade B (5/6 on each language criterion and 2/3 on each clinical one,
30 of 39 raw points) at 350, and the top of the scale at 500; the range widens when evidence is thin."""

from __future__ import annotations

import math

from oet_desktop.core.assessment.report import Confidence, CriterionResult, Estimate

RAW_MAXIMUM = 39
B_RAW = 30
B_SCORE = 350
GRADES = ((450, "A"), (350, "B"), (300, "C+"), (200, "C"), (100, "D"), (0, "E"))
SPREAD = {Confidence.HIGH: 30, Confidence.MEDIUM: 50, Confidence.LOW: 70}
DISCLAIMER = ("This is an estimate, not an OET result. The official conversion from assessors' scores to the "
              "0\u2013500 scale is not published, and real assessors mark the recording independently; use the "
              "figure to track your progress, not to predict your grade.")


def grade(score: int) -> str:
    """The OET grade for a 0–500 score."""
    return next(letter for limit, letter in GRADES if score >= limit)


def _scale(raw: int) -> int:
    above = max(0, raw - B_RAW)
    value = min(raw, B_RAW) * B_SCORE / B_RAW + above * (500 - B_SCORE) / (RAW_MAXIMUM - B_RAW)
    return int(math.floor(value / 10 + 0.5) * 10)


def estimate(results: list[CriterionResult]) -> Estimate | None:
    """The estimate, or None when any criterion was not assessed (a partial sum would mislead)."""
    if len(results) != 9 or any(r.score is None for r in results):
        return None
    raw = sum(r.score or 0 for r in results)
    score = _scale(raw)
    levels = [r.confidence for r in results]
    spread = SPREAD[Confidence.LOW if Confidence.LOW in levels else
                    Confidence.MEDIUM if Confidence.MEDIUM in levels else Confidence.HIGH]
    low, high = max(0, score - spread), min(500, score + spread)
    low_grade, high_grade = grade(low), grade(high)
    reaches = True if low >= B_SCORE else False if high < B_SCORE else None
    return Estimate(score, low, high, grade(score),
                    low_grade if low_grade == high_grade else f"{low_grade}\u2013{high_grade}", reaches, DISCLAIMER)
