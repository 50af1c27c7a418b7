"""`report` and `history`: feedback on a role-play or progress over all of them (text, JSON or PDF), and the
list of past role-plays."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from oet_desktop.cli.common import unlocked_profile
from oet_desktop.core.assessment.criteria import ALL_CRITERIA
from oet_desktop.core.assessment.history import SESSION_FILE
from oet_desktop.core.assessment.narrative import NarrativeCheck
from oet_desktop.core.assessment.progress import ProgressReport
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.assessment.text_report import format_feedback, format_progress
from oet_desktop.core.errors import UserFacingError
from oet_desktop.services import feedback
from oet_desktop.services.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `report` and `history`."""
    report = sub.add_parser("report", help="feedback on a role-play, or progress over all of them, as text or PDF")
    report.set_defaults(handler=report_command)
    report.add_argument("session", nargs="?", default=None,
                        help="a saved role-play (its name, the start of it, or `latest`) or a session bundle folder")
    report.add_argument("--progress", action="store_true", help="progress over every saved session")
    report.add_argument("--pdf", type=Path, metavar="FILE", help="write the report as a PDF")
    report.add_argument("--page-size", choices=["A4", "Letter"], default="A4")
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument("--sessions", type=Path, metavar="DIR",
                        help="read session bundles from this folder instead of your encrypted profile")
    report.add_argument("--narrative", choices=["auto", "template", "llm"], default="auto",
                        help="who writes the summary (auto: the language model when it is a capable one)")
    report.add_argument("--rescore", action="store_true", help="score again even if feedback was saved")
    report.add_argument("--name", help="candidate name printed on the progress PDF")

    history = sub.add_parser("history", help="your past role-plays with their scores")
    history.set_defaults(handler=history_command)
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")


def print_scores(report: FeedbackReport, reference: str) -> None:
    """The nine scores and the estimate, after a role-play."""
    print("\nFeedback:")
    for result in report.criteria:
        score = f"{result.score}/{result.maximum}" if result.score is not None else "not assessed"
        print(f"  {result.label:<62} {score}")
    if report.estimate:
        print(f"  Estimate {report.estimate.score} ({report.estimate.low}\u2013{report.estimate.high}), grade "
              f"{report.estimate.grade}: an estimate, not an OET result.")
    print(f"Full report: oet-desktop report {reference} [--pdf report.pdf]")


def _narration(quiet: bool) -> feedback.Narration:
    """The language model's summary streamed to the terminal as it is written (nothing when printing JSON)."""
    if quiet:
        return feedback.Narration()

    def start() -> None:
        print("Writing the summary with the language model\u2026\n", flush=True)

    def done(check: NarrativeCheck) -> None:
        print("\n")
        if not check.ok:
            print(f"(The model's text was not used: it {check.problem}. The templated summary is shown.)\n")

    return feedback.Narration(start, lambda piece: print(piece, end="", flush=True), done)


def report_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop report SESSION|--progress [--pdf FILE]`: from the encrypted profile, or from session bundles
    (``--sessions DIR`` or a bundle folder)."""
    bundles = args.sessions is not None or (args.session is not None and (Path(args.session) / SESSION_FILE).is_file())
    root = args.sessions or context.paths.data_dir / "sessions"
    if args.progress:
        if bundles:
            progress = feedback.bundle_progress(context, root)
        else:
            with unlocked_profile(context) as storage:
                progress = feedback.stored_progress(context, storage)
        _show_progress(progress, args)
        return 0
    if not args.session:
        raise UserFacingError("Which role-play should the report be about?",
                              "Give its name from `oet-desktop history` or `latest`, or use --progress for all.")
    narration = _narration(quiet=args.json)
    if bundles:
        report = feedback.bundle_report(context, root, args.session, args.rescore, args.narrative, narration)
    else:
        with unlocked_profile(context) as storage:
            report = feedback.stored_report(context, storage, args.session, args.rescore, args.narrative,
                                            narration)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(format_feedback(report))
    if args.pdf:
        print(f"\nPDF: {feedback.write_report_pdf(report, args.pdf, args.page_size)}")
    return 0


def _show_progress(progress: ProgressReport, args: argparse.Namespace) -> None:
    print(format_progress(progress))
    if args.pdf:
        print(f"\nPDF: {feedback.write_progress_pdf(progress, args.pdf, args.page_size, args.name)}")


def history_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop history`: past role-plays, newest first, with the nine scores."""
    with unlocked_profile(context) as storage:
        listing = feedback.history(storage, args.limit)
    if args.json:
        print(json.dumps([s.__dict__ for s in listing], indent=1))
        return 0
    if not listing:
        print("No role-plays saved yet. Practise one: `oet-desktop practice --demo`.")
        return 0
    print(f"{'role-play':<58} {'status':<12} {'est.':>5}  In Fl Ap Gr  A  B  C  D  E")
    for s in listing:
        scores = " ".join(f"{'-' if s.scores.get(c.value) is None else s.scores[c.value]:>2}" for c in ALL_CRITERIA)
        estimate = f"~{s.estimate}" if s.estimate is not None else "-"
        audio = "  (audio deleted)" if s.audio_removed else ""
        print(f"{s.session_id:<58} {s.status:<12} {estimate:>5}  {scores}{audio}")
    print("In Intelligibility, Fl Fluency, Ap Appropriateness, Gr Grammar and expression; A-E the clinical "
          "criteria. Estimates are ours, not OET's.")
    return 0



