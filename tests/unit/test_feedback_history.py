"""Feedback saved beside session bundles: round trip, damaged files, finding sessions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oet_desktop.core.assessment.history import (
    all_feedback,
    load_feedback,
    resolve_session,
    save_feedback,
    session_folders,
)
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.errors import UserFacingError
from tests.report_samples import sample_feedback_report, sample_report_not_assessed


def _bundle(root: Path, name: str) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "session.json").write_text("{}")
    return folder


def test_feedback_round_trips_through_json(tmp_path: Path) -> None:
    for index, report in enumerate((sample_feedback_report(), sample_report_not_assessed())):
        folder = _bundle(tmp_path, f"session-{index}")
        save_feedback(folder, report)
        loaded = load_feedback(folder)
        assert loaded == report
        assert json.loads(json.dumps(loaded.as_dict())) == json.loads((folder / "feedback.json").read_text())


def test_damaged_feedback_is_a_clear_error_and_progress_skips_it(tmp_path: Path) -> None:
    good = _bundle(tmp_path, "20261101-a")
    bad = _bundle(tmp_path, "20261102-b")
    save_feedback(good, sample_feedback_report())
    (bad / "feedback.json").write_text('{"criteria": 3}')
    with pytest.raises(UserFacingError, match="could not be read"):
        load_feedback(bad)

    def never(folder: Path) -> FeedbackReport:
        raise AssertionError(folder)

    reports, problems = all_feedback(tmp_path, never)
    assert len(reports) == 1
    assert problems
    assert problems[0].startswith("20261102-b")


def test_sessions_are_found_by_path_name_or_latest(tmp_path: Path) -> None:
    older, newer = _bundle(tmp_path, "20261101-a"), _bundle(tmp_path, "20261105-b")
    (tmp_path / "not-a-session").mkdir()
    assert session_folders(tmp_path) == [older, newer]
    assert resolve_session("latest", tmp_path) == newer
    assert resolve_session("20261101-a", tmp_path) == older
    assert resolve_session(str(older), tmp_path / "elsewhere") == older
    with pytest.raises(UserFacingError, match="No role-play session called 'x'"):
        resolve_session("x", tmp_path)
