"""Feedback kept beside each session bundle (``feedback.json``), and the list of past sessions. The encrypted
profile store replaces the folder scan; the report's JSON form stays the same."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.reports.atomic import write_atomically

log = logging.getLogger(__name__)

FEEDBACK_FILE = "feedback.json"
SESSION_FILE = "session.json"


def save_feedback(folder: Path, report: FeedbackReport) -> Path:
    """Write ``feedback.json`` into the session folder, all or nothing."""
    data = (json.dumps(report.as_dict(), indent=1, ensure_ascii=False) + "\n").encode("utf-8")

    def write(stream: BinaryIO) -> None:
        stream.write(data)

    return write_atomically(folder / FEEDBACK_FILE, write)


def load_feedback(folder: Path) -> FeedbackReport | None:
    """The saved report, or None if there is none; a damaged file raises a clear error."""
    path = folder / FEEDBACK_FILE
    if not path.is_file():
        return None
    try:
        return FeedbackReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserFacingError(f"The feedback saved in {path} could not be read ({error}).",
                              "Score the session again with `oet-desktop report --rescore`.") from error


def session_folders(root: Path) -> list[Path]:
    """Every session bundle under ``root``, oldest first (by folder name, which starts with the date)."""
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if (p / SESSION_FILE).is_file())


def resolve_session(reference: str, root: Path) -> Path:
    """A session folder from a path, a folder name under ``root``, or ``latest``."""
    if reference == "latest":
        folders = session_folders(root)
        if not folders:
            raise UserFacingError(f"There are no saved role-plays in {root} yet.",
                                  "Practise one first (`oet-desktop practice --demo`).")
        return folders[-1]
    for candidate in (Path(reference), root / reference):
        if (candidate / SESSION_FILE).is_file():
            return candidate
    raise UserFacingError(f"No role-play session called {reference!r} was found (looked in {root}).",
                          "Give a session folder, a folder name from your sessions, or `latest`.")


def all_feedback(root: Path, assess: Callable[[Path], FeedbackReport]) -> tuple[list[FeedbackReport], list[str]]:
    """Every session's feedback, scoring and saving those not yet scored; problems are listed, not fatal."""
    reports, problems = [], []
    for folder in session_folders(root):
        try:
            report = load_feedback(folder)
            if report is None:
                report = assess(folder)
                save_feedback(folder, report)
            reports.append(report)
        except UserFacingError as error:
            log.warning("skipped %s: %s", folder, error.paragraph())
            problems.append(f"{folder.name}: {error.paragraph()}")
    return reports, problems
