"""`oet-desktop report` as a user runs it: a practised session's feedback as text, JSON and PDF, and progress
over several sessions; bad input gets one clear paragraph."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from pypdf import PdfReader

from oet_desktop.core.assessment.criteria import ALL_CRITERIA
from tests.conftest import user_environment
from tests.integration.test_cli import assert_one_paragraph, run_cli

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sessions folder with one demo role-play practised through the real pipeline."""
    root = tmp_path_factory.mktemp("sessions")
    home = tmp_path_factory.mktemp("home")
    result = run_cli("practice", "--demo", "--fast", "--scenario", "pharmacy-apixaban-discharge",
                     "--out", str(root / "20261120-090000-pharmacy-apixaban-discharge"), timeout=600,
                     env=user_environment(home))
    assert result.returncode == 0, result.stderr
    assert "Feedback:" in result.stdout
    assert "Appropriateness of Language" in result.stdout
    return root


def _pdf_text(path: Path) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(path).pages)


def test_report_prints_the_nine_criteria_and_writes_a_pdf(sessions: Path, tmp_path: Path) -> None:
    result = run_cli("report", "latest", "--sessions", str(sessions), "--pdf", str(tmp_path / "r.pdf"))
    assert result.returncode == 0, result.stderr
    saved = json.loads((sessions / "20261120-090000-pharmacy-apixaban-discharge" / "feedback.json").read_text())
    text = _pdf_text(tmp_path / "r.pdf")
    for criterion in saved["criteria"]:
        label = next(c.label for c in ALL_CRITERIA if c.value == criterion["criterion"])
        assert label in result.stdout
        assert label.split(". ")[-1][:30] in text
        if criterion["score"] is not None:
            assert f"{criterion['score']}/{criterion['maximum']}" in text
    if saved["estimate"]:
        assert f"Estimated score {saved['estimate']['score']}" in text
    else:
        assert "No overall estimate" in text
    assert "next steps" in text.lower()


def test_report_json_round_trips(sessions: Path) -> None:
    result = run_cli("report", "20261120-090000-pharmacy-apixaban-discharge", "--sessions", str(sessions), "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["criteria"]) == 9
    assert data["scenario_id"] == "pharmacy-apixaban-discharge"
    assert data == json.loads((sessions / "20261120-090000-pharmacy-apixaban-discharge" / "feedback.json").read_text())


def test_progress_over_several_sessions(sessions: Path, tmp_path: Path) -> None:
    root = tmp_path / "many"
    shutil.copytree(sessions, root)
    first = root / "20261120-090000-pharmacy-apixaban-discharge"
    second = root / "20261122-090000-pharmacy-apixaban-discharge"
    shutil.copytree(first, second)
    (second / "feedback.json").unlink()  # scored afresh by the progress command
    damaged = root / "20261123-090000-broken"
    damaged.mkdir()
    (damaged / "session.json").write_text("{not json")
    result = run_cli("report", "--progress", "--sessions", str(root), "--pdf", str(tmp_path / "p.pdf"),
                     "--page-size", "Letter", "--name", "Test Candidate")
    assert result.returncode == 0, result.stderr
    assert "2 role-play(s)" in result.stdout
    assert "Practise next:" in result.stdout
    assert "Skipped 20261123-090000-broken" in result.stdout
    assert (second / "feedback.json").is_file()
    text = _pdf_text(tmp_path / "p.pdf")
    assert "Test Candidate" in text
    assert "grade B" in text or "Grade B" in text
    page = PdfReader(tmp_path / "p.pdf").pages[0]
    assert round(float(page.mediabox.width)) == 612


def test_report_errors_are_one_paragraph(sessions: Path, tmp_path: Path) -> None:
    assert_one_paragraph(run_cli("report", "nope", "--sessions", str(sessions)), "No role-play session called 'nope'")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert_one_paragraph(run_cli("report", "latest", "--sessions", str(sessions), "--pdf",
                                 str(blocker / "out.pdf")), "Could not save")
    assert_one_paragraph(run_cli("report", "latest", "--sessions", str(tmp_path / "empty")),
                         "no saved role-plays")
