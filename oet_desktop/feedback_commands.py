"""The `report` and `bench feedback` commands: feedback and progress as text, JSON or PDF."""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from oet_desktop.app import AppContext
from oet_desktop.core.assessment.conversation import Conversation, from_record, from_saved, load_bundle
from oet_desktop.core.assessment.feedback import Assessor
from oet_desktop.core.assessment.history import (
    SESSION_FILE,
    all_feedback,
    load_feedback,
    resolve_session,
    save_feedback,
)
from oet_desktop.core.assessment.narrative import LlmNarrator, apply_narrative
from oet_desktop.core.assessment.progress import ProgressReport, build_progress
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.assessment.text_report import format_feedback, format_progress
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.paths import project_root
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.storage.repository import ProfileRepository
from oet_desktop.core.storage.segments import to_float
from oet_desktop.core.storage.worker import StorageThread


def _capable_llm(context: AppContext) -> bool:
    """True when the language model is more than the small default (a download or a server)."""
    engines = context.engines
    return bool(engines.settings.llm_server_url) or (
        engines.model_id(ModelRole.LLM) != context.catalog.default_for(ModelRole.LLM).id)


def _assessor(context: AppContext) -> Assessor:
    return Assessor.with_project_lexicon(context.engines.embedder())


def _score(context: AppContext, folder: Path, assessor: Assessor | None = None,
           scenarios: dict[str, Scenario] | None = None) -> FeedbackReport:
    library = scenarios if scenarios is not None else context.load_scenarios().scenarios
    return (assessor or _assessor(context)).assess(load_bundle(folder, library))


def _narrate(context: AppContext, report: FeedbackReport, mode: str, stream: bool) -> None:
    if mode == "template" or (mode == "auto" and not _capable_llm(context)):
        return
    if stream:
        print("Writing the summary with the language model\u2026\n")
    check = LlmNarrator(context.engines.language_model()).write(
        report, on_text=(lambda piece: print(piece, end="", flush=True)) if stream else None)
    if stream:
        print("\n")
        if not check.ok:
            print(f"(The model's text was not used: it {check.problem}. The templated summary is shown.)\n")
    apply_narrative(report, check)


def _print_scores(report: FeedbackReport, reference: str) -> None:
    print("\nFeedback:")
    for result in report.criteria:
        score = f"{result.score}/{result.maximum}" if result.score is not None else "not assessed"
        print(f"  {result.label:<62} {score}")
    if report.estimate:
        print(f"  Estimate {report.estimate.score} ({report.estimate.low}\u2013{report.estimate.high}), grade "
              f"{report.estimate.grade}: an estimate, not an OET result.")
    print(f"Full report: oet-desktop report {reference} [--pdf report.pdf]")


def score_new_session(context: AppContext, storage: StorageThread, record: SessionRecord, scenario: Scenario,
                      session_id: str, bundle: Path | None = None) -> FeedbackReport:
    """Score a just-finished role-play, save the feedback in the profile (and beside its bundle, if one was
    written) and print the nine scores."""
    report = _assessor(context).assess(from_record(record, scenario, session_id))
    storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
    if bundle is not None:
        save_feedback(bundle, report)
    _print_scores(report, session_id)
    return report


def _stored_conversation(storage: StorageThread, session_id: str, scenarios: dict[str, Scenario]) -> Conversation:
    stored = storage.call(partial(ProfileRepository.load_session, session_id=session_id))
    if stored is None:
        raise UserFacingError(f"No saved role-play is called {session_id!r}.", "See `oet-desktop history`.")
    scenario = scenarios.get(str(stored.data["scenario"]))
    if scenario is None:
        raise UserFacingError(f"{session_id} is a role-play of {stored.data['scenario']!r}, which is not installed.",
                              "Add the scenario file to your scenarios folder and try again.")
    track = storage.call(partial(ProfileRepository.track, session_id=session_id, track="candidate",
                                 rate=SAMPLE_RATE))
    return from_saved(stored.data, scenario, session_id, None if track is None else to_float(track))


def report_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop report SESSION|--progress [--pdf FILE]`: from the encrypted profile, or from session bundles
    (``--sessions DIR`` or a bundle folder)."""
    bundles = args.sessions is not None or (args.session is not None and (Path(args.session) / SESSION_FILE).is_file())
    if args.progress:
        if bundles:
            return _progress(context, args, args.sessions or context.paths.data_dir / "sessions")
        return _stored_progress(context, args)
    if not args.session:
        raise UserFacingError("Which role-play should the report be about?",
                              "Give its name from `oet-desktop history` or `latest`, or use --progress for all.")
    if bundles:
        report = _bundle_report(context, args, args.sessions or context.paths.data_dir / "sessions")
    else:
        report = _stored_report(context, args)
    _show_report(report, args)
    return 0


def _stored_report(context: AppContext, args: argparse.Namespace) -> FeedbackReport:
    from oet_desktop.profile_commands import unlocked_profile

    with unlocked_profile(context) as storage:
        session_id = storage.call(partial(ProfileRepository.resolve, reference=args.session))
        saved = None if args.rescore else storage.call(partial(ProfileRepository.load_feedback,
                                                               session_id=session_id))
        if saved is None:
            report = _assessor(context).assess(_stored_conversation(storage, session_id,
                                                                    context.load_scenarios().scenarios))
            _narrate(context, report, args.narrative, stream=not args.json)
        elif args.narrative == "llm" and saved.narrative_source != "llm":
            report = saved
            _narrate(context, report, "llm", stream=not args.json)
        else:
            return saved
        storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
        return report


def _bundle_report(context: AppContext, args: argparse.Namespace, root: Path) -> FeedbackReport:
    folder = resolve_session(args.session, root)
    report = None if args.rescore else load_feedback(folder)
    if report is None:
        report = _score(context, folder)
        _narrate(context, report, args.narrative, stream=not args.json)
        save_feedback(folder, report)
    elif args.narrative == "llm" and report.narrative_source != "llm":
        _narrate(context, report, "llm", stream=not args.json)
        save_feedback(folder, report)
    return report


def _show_report(report: FeedbackReport, args: argparse.Namespace) -> None:
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=1, ensure_ascii=False)
        print()
    else:
        print(format_feedback(report))
    if args.pdf:
        from oet_desktop.core.reports.session_pdf import write_session_pdf

        print(f"\nPDF: {write_session_pdf(report, args.pdf, args.page_size)}")


def _stored_progress(context: AppContext, args: argparse.Namespace) -> int:
    from oet_desktop.profile_commands import unlocked_profile

    scenarios = context.load_scenarios().scenarios
    notes = []
    with unlocked_profile(context) as storage:
        unscored = storage.call(ProfileRepository.unscored_sessions)
        assessor = _assessor(context) if unscored else None
        for session_id in unscored:
            try:
                assert assessor is not None
                report = assessor.assess(_stored_conversation(storage, session_id, scenarios))
                storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
            except UserFacingError as error:
                notes.append(f"Skipped {session_id}: {error.paragraph()}")
        reports = storage.call(ProfileRepository.all_feedback)
    progress = build_progress(reports, list(scenarios.values()))
    progress.notes.extend(notes)
    _show_progress(progress, args)
    return 0


def _show_progress(progress: ProgressReport, args: argparse.Namespace) -> None:
    print(format_progress(progress))
    if args.pdf:
        from oet_desktop.core.reports.progress_pdf import write_progress_pdf

        print(f"\nPDF: {write_progress_pdf(progress, args.pdf, args.page_size, args.name)}")


def _progress(context: AppContext, args: argparse.Namespace, root: Path) -> int:
    assessor = _assessor(context)
    scenarios = context.load_scenarios().scenarios
    reports, problems = all_feedback(root, lambda folder: _score(context, folder, assessor, scenarios))
    progress = build_progress(reports, list(scenarios.values()))
    progress.notes.extend(f"Skipped {p}" for p in problems)
    _show_progress(progress, args)
    return 0


def example_report() -> FeedbackReport:
    """A real report of a demo role-play (kept in resources/bench), for benchmarks that store one."""
    path = project_root() / "resources" / "bench" / "feedback-demo-session.json"
    return FeedbackReport.from_dict(json.loads(path.read_text(encoding="utf-8")))


def bench_feedback_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench feedback`: time to score a 5-minute role-play."""
    from oet_desktop.core.assessment.bench import five_minute_conversation, run_feedback_benchmark

    scenario = context.load_scenarios().get("nursing-insulin-start-driver")
    if scenario is None:
        raise UserFacingError("The benchmark's role-play (nursing-insulin-start-driver) is not installed.",
                              "Reinstall the app so the bundled scenarios are in place.")
    print("Preparing a 5-minute role-play (synthesised and transcribed; not timed)\u2026")
    conversation = five_minute_conversation(scenario, context.engines.voice(), context.engines.transcriber())
    result = run_feedback_benchmark(_assessor(context), conversation, args.runs)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"Embedder loaded in {result['embedder_load_s']:.1f} s (already loaded after a role-play).")
    print(f"{result['role_play_s']:.0f} s role-play, {result['candidate_turns']} candidate turns, "
          f"{result['candidate_words']} words: first scoring {result['first_run_s'] * 1000:.0f} ms, then median "
          f"{result['median_s'] * 1000:.0f} ms, max {result['max_s'] * 1000:.0f} ms (target \u2264 2000 ms)")
    print(f"Written to {args.out}")
    return 0
