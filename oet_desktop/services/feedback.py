"""Feedback and progress: score a role-play and save the result, read or re-score a saved one (from the
encrypted profile or from session bundles on disk), have the language model write the summary, list the
history, show progress, write PDFs and play back a stretch of a recording."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from oet_desktop.core.assessment.conversation import Conversation, from_record, from_saved, load_bundle
from oet_desktop.core.assessment.feedback import Assessor
from oet_desktop.core.assessment.history import all_feedback, load_feedback, resolve_session, save_feedback
from oet_desktop.core.assessment.narrative import LlmNarrator, NarrativeCheck, apply_narrative
from oet_desktop.core.assessment.progress import ProgressReport, build_progress, progress_from_summaries
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.types import SAMPLE_RATE, Samples, Track
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.paths import project_root
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.storage.repository import ProfileRepository, SessionListing
from oet_desktop.core.storage.segments import to_float
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.services.context import AppContext

OnText = Callable[[str], None]
"""Receives the language model's summary as it is written."""


@dataclass(frozen=True)
class Narration:
    """Where the summary's text comes from: ``on_start`` is called just before the language model is asked
    (it can take a while to load), ``on_text`` gets the text as it is written, ``on_done`` the checks' verdict."""

    on_start: Callable[[], None] = lambda: None
    on_text: OnText | None = None
    on_done: Callable[[NarrativeCheck], None] = lambda _check: None


def assessor(context: AppContext) -> Assessor:
    """The rules that score a role-play, with the project's jargon lexicon and the embedding model."""
    return Assessor.with_project_lexicon(context.engines.embedder())


def score_and_save(context: AppContext, storage: StorageThread, record: SessionRecord, scenario: Scenario,
                   session_id: str, bundle: Path | None = None) -> FeedbackReport:
    """Score a just-finished role-play and save the feedback in the profile (and beside its bundle, if one was
    written)."""
    report = assessor(context).assess(from_record(record, scenario, session_id))
    storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
    if bundle is not None:
        save_feedback(bundle, report)
    return report


def capable_language_model(context: AppContext) -> bool:
    """True when the language model is more than the small default (a download or a server)."""
    engines = context.engines
    return bool(engines.settings.llm_server_url) or (
        engines.model_id(ModelRole.LLM) != context.catalog.default_for(ModelRole.LLM).id)


def narrate(context: AppContext, report: FeedbackReport, mode: str, narration: Narration | None = None
            ) -> NarrativeCheck | None:
    """Have the language model write the summary (``mode`` "llm", or "auto" with a capable model); the
    templated summary stays when its text fails the checks. None when the model was not asked."""
    if mode == "template" or (mode == "auto" and not capable_language_model(context)):
        return None
    narration = narration or Narration()
    narration.on_start()
    check = LlmNarrator(context.engines.language_model()).write(report, on_text=narration.on_text)
    apply_narrative(report, check)
    narration.on_done(check)
    return check


def _stored_conversation(storage: StorageThread, session_id: str, scenarios: dict[str, Scenario]) -> Conversation:
    stored = storage.call(partial(ProfileRepository.load_session, session_id=session_id))
    if stored is None:
        raise UserFacingError(f"No saved role-play is called {session_id!r}.", "See `oet-desktop history`.")
    scenario = scenarios.get(str(stored.data["scenario"]))
    if scenario is None:
        raise UserFacingError(f"{session_id} is a role-play of {stored.data['scenario']!r}, which is not installed.",
                              "Add the scenario file to your scenarios folder and try again.")
    track = storage.call(partial(ProfileRepository.track, session_id=session_id, track=Track.CANDIDATE,
                                 rate=SAMPLE_RATE))
    return from_saved(stored.data, scenario, session_id, None if track is None else to_float(track))


def _practised_elsewhere(rescore: bool = False) -> UserFacingError:
    if rescore:
        return UserFacingError("This role-play was practised on another computer, so it can be re-scored only "
                               "there (its recording stays on that computer).",
                               "Re-score it on that computer: the new scores come here with the next sync.")
    return UserFacingError("This role-play was practised on another computer: its full feedback is there (its "
                           "scores are in your history and progress here).",
                           "Open it on that computer, or turn on syncing practice details on both computers "
                           "(with the same sync passphrase) to open it here.")


def stored_report(context: AppContext, storage: StorageThread, reference: str, rescore: bool = False,
                  narrative: str = "auto", narration: Narration | None = None) -> FeedbackReport:
    """A saved role-play's feedback (``reference``: its name, the start of it, or `latest`); scored now, and
    saved, when it has none yet or ``rescore`` is set. Another computer's role-play is never scored here (its
    recording is not here): its feedback is the report synced from there, if any."""
    session_id = storage.call(partial(ProfileRepository.resolve, reference=reference))
    if storage.call(partial(ProfileRepository.session_origin, session_id=session_id)) is not None:
        if rescore:
            raise _practised_elsewhere(rescore=True)
        saved = storage.call(partial(ProfileRepository.load_feedback, session_id=session_id))
        if saved is None:
            raise _practised_elsewhere()
    else:
        saved = None if rescore else storage.call(partial(ProfileRepository.load_feedback, session_id=session_id))
    if saved is None:
        report = assessor(context).assess(_stored_conversation(storage, session_id,
                                                               context.load_scenarios().scenarios))
        narrate(context, report, narrative, narration)
    elif narrative == "llm" and saved.narrative_source != "llm":
        report = saved
        narrate(context, report, "llm", narration)
    else:
        return saved
    storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
    return report


def bundle_report(context: AppContext, root: Path, reference: str, rescore: bool = False, narrative: str = "auto",
                  narration: Narration | None = None) -> FeedbackReport:
    """A session bundle's feedback (a folder under ``root`` or a path), scored and saved beside it if needed."""
    folder = resolve_session(reference, root)
    report = None if rescore else load_feedback(folder)
    if report is None:
        library = context.load_scenarios().scenarios
        report = assessor(context).assess(load_bundle(folder, library))
        narrate(context, report, narrative, narration)
        save_feedback(folder, report)
    elif narrative == "llm" and report.narrative_source != "llm":
        narrate(context, report, "llm", narration)
        save_feedback(folder, report)
    return report


def stored_progress(context: AppContext, storage: StorageThread) -> ProgressReport:
    """Progress over every saved role-play (those not scored yet are scored and saved first)."""
    scenarios = context.load_scenarios().scenarios
    notes = []
    unscored = storage.call(ProfileRepository.unscored_sessions)
    rules = assessor(context) if unscored else None
    for session_id in unscored:
        try:
            assert rules is not None
            report = rules.assess(_stored_conversation(storage, session_id, scenarios))
            storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
        except UserFacingError as error:
            notes.append(f"Skipped {session_id}: {error.paragraph()}")
    progress = progress_from_summaries(storage.call(ProfileRepository.progress_summaries), list(scenarios.values()))
    progress.notes.extend(notes)
    return progress


def bundle_progress(context: AppContext, root: Path) -> ProgressReport:
    """Progress over the session bundles under ``root``."""
    rules = assessor(context)
    scenarios = context.load_scenarios().scenarios
    reports, problems = all_feedback(root, lambda folder: rules.assess(load_bundle(folder, scenarios)))
    progress = build_progress(reports, list(scenarios.values()))
    progress.notes.extend(f"Skipped {p}" for p in problems)
    return progress


def saved_progress(storage: StorageThread, scenarios: list[Scenario]) -> ProgressReport:
    """Trends, readiness and what to practise next, from the feedback already saved (full reports, and the
    summaries of sessions practised on another computer)."""
    return progress_from_summaries(storage.call(ProfileRepository.progress_summaries), scenarios)


def history(storage: StorageThread, limit: int | None = None) -> list[SessionListing]:
    """Past role-plays, newest first, with their scores."""
    return storage.call(lambda repo: repo.list_sessions(limit))


@dataclass(frozen=True)
class SavedFeedback:
    """A past role-play's feedback, and whether its recording is still kept (for playback)."""

    report: FeedbackReport
    audio_kept: bool


def saved_feedback(storage: StorageThread, session_id: str) -> SavedFeedback:
    """A past role-play's feedback, or a clear error when it has not been scored."""
    report = storage.call(lambda repo: repo.load_feedback(session_id))
    if report is None and storage.call(lambda repo: repo.session_origin(session_id)) is not None:
        raise _practised_elsewhere()
    if report is None:
        raise UserFacingError("This role-play has not been scored yet.",
                              "Score it with `oet-desktop report` and open it again.")
    listing = next((s for s in storage.call(ProfileRepository.list_sessions) if s.session_id == session_id), None)
    return SavedFeedback(report, not (listing and listing.audio_removed))


def recording(storage: StorageThread, session_id: str, track: Track, start_s: float, end_s: float) -> Samples:
    """A stretch of one side's recording (at least half a second), or a clear error when it was deleted."""
    rate = track.sample_rate
    pcm = storage.call(lambda repo: repo.track(session_id, track, rate))
    if pcm is None:
        raise UserFacingError("The recording of this role-play is no longer kept.",
                              "Recordings older than your retention setting are deleted.")
    return to_float(pcm[int(start_s * rate):int(max(end_s, start_s + 0.5) * rate)])


def play_recording(storage: StorageThread, session_id: str, track: Track, start_s: float, end_s: float) -> None:
    """Play a stretch of a recording on the output device the settings name (returns when it has played)."""
    from oet_desktop.core.audio.speaker import SpeakerOutput

    clip = recording(storage, session_id, track, start_s, end_s)
    output = SpeakerOutput(storage.call(lambda repo: repo.setting("output_device")))
    try:
        output.play(clip, track.sample_rate)
        output.wait(end_s - start_s + 5)
    finally:
        output.close()


def write_report_pdf(report: FeedbackReport, path: Path, page_size: str = "A4") -> Path:
    """A role-play's feedback as a PDF."""
    from oet_desktop.core.reports.session_pdf import write_session_pdf

    return write_session_pdf(report, path, page_size)


def write_progress_pdf(progress: ProgressReport, path: Path, page_size: str = "A4", name: str | None = None) -> Path:
    """Progress over all role-plays as a PDF."""
    from oet_desktop.core.reports.progress_pdf import write_progress_pdf as write

    return write(progress, path, page_size, name)


def example_report() -> FeedbackReport:
    """A real report of a demo role-play (kept in resources/bench), for benchmarks that store one."""
    path = project_root() / "resources" / "bench" / "feedback-demo-session.json"
    return FeedbackReport.from_dict(json.loads(path.read_text(encoding="utf-8")))
