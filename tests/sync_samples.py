"""Scored role-plays for the sync tests, made without the models: a session record whose turns say a given word,
and a full feedback report with its own scores and estimate."""

from __future__ import annotations

from dataclasses import replace

from oet_desktop.core.assessment.report import Estimate, FeedbackReport, Line
from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from tests.report_samples import sample_feedback_report


def scored_session(session_id: str, scenario_id: str, level: int, word: str) -> tuple[SessionRecord, FeedbackReport]:
    """Role-play ``session_id`` (``YYYYMMDD-…``: the day gives its start) of ``scenario_id``, whose turns and
    report transcript say ``word``, and its report: the sample's scores moved by ``level - 1``, estimate
    300 + 20 × ``level``."""
    started = f"2026-12-{int(session_id[6:8]):02d}T09:00:00+00:00"
    record = SessionRecord(scenario_id, "practice", "half_duplex", {"stt": "whisper-tiny.en"}, started_at=started)
    for index in range(3):
        record.turns.append(TurnRecord(index, f"Turn {index}: the {word} leaflet explains it.", index * 10.0,
                                       index * 10.0 + 4.0, [], "fact", None, "asked", f"Patient reply {index}",
                                       "scripted", None, index * 10.0 + 5.0, 3.0))
    sample = sample_feedback_report()
    criteria = [replace(c, score=max(0, min(c.maximum, (c.score or 0) + level - 1))) for c in sample.criteria]
    estimate = Estimate(300 + 20 * level, 280 + 20 * level, 320 + 20 * level, "C+" if level < 3 else "B", "C+–B",
                        None, sample.estimate.disclaimer if sample.estimate else "")
    report = replace(sample, session_id=session_id, scenario_id=scenario_id, taken_at=started, criteria=criteria,
                     estimate=estimate, transcript=[Line("candidate", f"About the {word} leaflet.", 1.0, 4.0)])
    return record, report
