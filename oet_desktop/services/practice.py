"""Role-plays: choose one, start it live (microphone and speaker, or typed), finish or abandon it, and run one
headless from audio files, a typed script or the demo. Every role-play is saved to the profile as it goes and
scored when it ends."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.files import read_audio
from oet_desktop.core.audio.memory import NoMicrophone
from oet_desktop.core.audio.types import AudioInput, AudioOutput, Samples
from oet_desktop.core.content.library import ScenarioLibrary
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.engine import PRACTICE_VAD, TurnMode
from oet_desktop.core.practice.headless import (
    PracticeParts,
    demo_turns,
    parts_from_engines,
    read_typed_turns,
    run_headless,
    run_typed,
    synthesise_turns,
)
from oet_desktop.core.practice.live_practice import LivePractice
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.practice.session import Mode
from oet_desktop.core.speech.vad import VadConfig
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.repository import ProfileRepository
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.services.context import AppContext
from oet_desktop.services.feedback import score_and_save
from oet_desktop.services.settings import read_settings

log = logging.getLogger(__name__)

DEMO_SCENARIO = "nursing-insulin-start-driver"
"""The role-play `practice --demo` uses when none is named."""
OpenInput = Callable[[Any], AudioInput]
"""Opens an input device (by name or index; None for the system default)."""
OpenOutput = Callable[[Any], AudioOutput]


NATIVE_LIBRARIES = ("llama_cpp", "faster_whisper", "onnxruntime")
"""The language model's, speech recognition's and the voice's native libraries."""


def preload_native_libraries(engines: EngineSet) -> None:
    """Load the engines' native libraries and parse Whisper's tokenizer now, before the window shows: both hold
    Python's global lock (0.05–0.15 s each here), which would otherwise freeze the window when a model first
    loads in the background."""
    import importlib

    from oet_desktop.core.models.catalog import ModelRole
    from oet_desktop.core.speech.stt import preparse_tokenizer
    from oet_desktop.core.system.llama_build import missing_features

    for name in NATIVE_LIBRARIES:
        if name == "llama_cpp" and missing_features():
            continue  # it would crash this processor; the role-play start says why
        try:
            importlib.import_module(name)
        except Exception as error:  # a broken build is reported when its model is used, not here
            log.warning("%s could not be loaded: %s", name, error)
    try:
        stt = engines.registry.resolve(engines.model_id(ModelRole.STT), verify=False)
        preparse_tokenizer(stt.main_path)
    except Exception as error:  # a missing model is reported when it is used
        log.info("the speech-recognition tokenizer was not parsed in advance: %s", error)


def new_session_id(scenario: Scenario, now: datetime | None = None) -> str:
    """A new role-play's name: its start time and the scenario (sorts by time, reads as what it was)."""
    return f"{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}-{scenario.id}"


def find_scenario(library: ScenarioLibrary, scenario_id: str | None) -> Scenario:
    """The named role-play, or a clear error."""
    if not scenario_id:
        raise UserFacingError("No role-play was chosen.", "Add --scenario ID (see `oet-desktop scenarios list`).")
    scenario = library.get(scenario_id)
    if scenario is None:
        raise UserFacingError(f"There is no role-play called {scenario_id!r}.",
                              "See `oet-desktop scenarios list` for the ids.")
    return scenario


def practice_parts(context: AppContext, phrasing: str = "auto") -> PracticeParts:
    """The engines a role-play uses, loaded (slow the first time)."""
    return parts_from_engines(context.engines, context.catalog, phrasing)


def warm_up(context: AppContext) -> None:
    """Load the speech, voice, embedding and language engines (while the candidate prepares)."""
    engines = context.engines
    parts = practice_parts(context)
    for engine in (parts.transcriber, parts.voice, parts.embedder, parts.language_model):
        load = getattr(engine, "load", None)
        if load is not None:
            load()
            if not engines.is_current(engine):  # the settings changed meanwhile: free the old model again
                engine.unload()  # type: ignore[union-attr]


def microphone(device: Any) -> AudioInput:
    """The real microphone (``device`` by name or index; None for the default)."""
    from oet_desktop.core.audio.microphone import MicrophoneInput

    return MicrophoneInput(device)


def speaker(device: Any) -> AudioOutput:
    """The real speaker (``device`` by name or index; None for the default)."""
    from oet_desktop.core.audio.speaker import SpeakerOutput

    return SpeakerOutput(device)


def start_live_practice(context: AppContext, storage: StorageThread, scenario: Scenario, mode: Mode,
                        typed: bool = False, open_microphone: OpenInput = microphone,
                        open_speaker: OpenOutput = speaker) -> LivePractice:
    """Open the devices the profile's settings name (no microphone when the candidate types), load the engines
    and begin a role-play saved as it goes. Slow: call off the UI thread."""
    values = read_settings(storage)
    turn_mode = TurnMode.TYPED if typed else TurnMode(values["turn_mode"])
    input_device = NoMicrophone() if typed else open_microphone(values["input_device"])  # fails first: no mic
    output_device = open_speaker(values["output_device"])
    vad = VadConfig(hangover_ms=PRACTICE_VAD.hangover_ms, endpoint_ms=int(values["endpoint_ms"]))
    live = LivePractice(scenario, mode, turn_mode, practice_parts(context), input_device, output_device, storage,
                        new_session_id(scenario), vad)
    live.start()
    return live


@dataclass(frozen=True)
class Finished:
    """A role-play that ended: its feedback, and a problem the candidate must know about (or None)."""

    report: FeedbackReport
    problem: str | None
    practised: dict[str, tuple[int, str]]
    """Every role-play practised so far (for the library's marks)."""


def finish_live_practice(context: AppContext, storage: StorageThread, live: LivePractice,
                         end_early: bool = False) -> Finished:
    """End the role-play (with the patient's closing line), save it, score it and save the feedback."""
    problem = live.status().problem
    record = live.finish(end_early=end_early)
    report = score_and_save(context, storage, record, live.scenario, live.session_id)
    return Finished(report, problem, storage.call(ProfileRepository.practised))


def abandon_live_practice(live: LivePractice) -> None:
    """The app is closing mid role-play: stop at once, save everything heard, and mark it interrupted."""
    live.abandon()


def typed_turns_from(path: Path) -> list[str]:
    """A typed role-play's candidate turns (one a line), or a clear error naming what is wrong with the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise UserFacingError(f"The typed role-play {path} does not exist.",
                              "Give a text file with one candidate turn a line.") from error
    except (OSError, UnicodeDecodeError) as error:
        raise UserFacingError(f"The typed role-play {path} could not be read: {error}.",
                              "Give a UTF-8 text file with one candidate turn a line.") from error
    turns = read_typed_turns(text)
    if not turns:
        raise UserFacingError(f"The typed role-play {path} has no turns in it.",
                              "Write one candidate turn a line (lines starting with # are skipped).")
    return turns


@dataclass(frozen=True)
class CandidateTurns:
    """Where a headless role-play's candidate turns come from: audio clips, or typed lines."""

    clips: list[Samples] | None = None
    typed: list[str] | None = None

    @classmethod
    def choose(cls, context: AppContext, scenario: Scenario, audio: list[Path], typed: Path | None,
               demo: bool, on_note: Callable[[str], None] = lambda _: None) -> CandidateTurns:
        """Exactly one source: audio files, a typed script, or the demo's synthesised turns."""
        cls.check_choice(audio, typed, demo)
        if typed:
            return cls(typed=typed_turns_from(typed))
        if audio:
            return cls(clips=[read_audio(path) for path in audio])
        if demo:
            texts = demo_turns(scenario)
            on_note(f"Demo: {len(texts)} candidate turns synthesised for {scenario.id}.")
            return cls(clips=synthesise_turns(context.engines.voice(), texts))
        raise AssertionError("check_choice lets no empty choice through")

    @staticmethod
    def check_choice(audio: list[Path], typed: Path | None, demo: bool) -> None:
        """A clear error unless exactly one source is chosen (and a typed script is readable), before any slow
        work or any change to the profile."""
        if sum(map(bool, (demo, audio, typed))) > 1:
            raise UserFacingError("Choose one source of candidate turns.",
                                  "Use only one of --candidate-audio, --demo and --typed.")
        if not (demo or audio or typed):
            raise UserFacingError("There are no candidate turns to play.",
                                  "Give one audio file per turn with --candidate-audio, a text file with --typed, "
                                  "or use --demo.")
        if typed:
            typed_turns_from(typed)
        missing = [str(path) for path in audio if not path.is_file()]
        if missing:
            raise UserFacingError(f"Candidate audio not found: {', '.join(missing)}.",
                                  "Give existing audio files (WAV, FLAC or OGG), one per turn.")


@dataclass(frozen=True)
class PracticeRun:
    """A headless role-play that ended: where it is saved and its feedback."""

    session_id: str
    record: SessionRecord
    report: FeedbackReport
    bundle: Path | None


def run_practice(context: AppContext, storage: StorageThread, scenario: Scenario, turns: CandidateTurns,
                 phrasing: str = "auto", fast: bool = False, turn_mode: TurnMode = TurnMode.HALF_DUPLEX,
                 bundle_dir: Path | None = None, on_turn: Callable[[str], None] | None = None,
                 on_saved: Callable[[str, SessionRecord, Path | None], None] | None = None) -> PracticeRun:
    """A whole role-play through the real pipeline, saved as it goes (kept as interrupted if it fails), then
    scored; with ``bundle_dir`` also written there as JSON and WAV. ``on_saved`` hears of the saved role-play
    (its id, record and bundle) before scoring starts, so a scoring failure never hides that it was saved."""
    parts = practice_parts(context, phrasing)
    session_id = new_session_id(scenario)
    mode = TurnMode.TYPED if turns.typed is not None else turn_mode
    record = SessionRecord(scenario.id, Mode.PRACTICE.value, mode.value, parts.models)
    journal = SessionJournal(storage, session_id, record)
    try:
        if turns.typed is not None:
            run_typed(scenario, turns.typed, parts, on_turn=on_turn, checkpoint=journal.checkpoint, record=record)
        else:
            run_headless(scenario, turns.clips or [], parts, fast=fast, turn_mode=turn_mode, on_turn=on_turn,
                         checkpoint=journal.checkpoint, record=record)
    except BaseException:
        try:  # keep everything said so far; the first error is the one to show
            journal.finish("interrupted")
        except Exception as error:
            log.warning("the interrupted role-play %s could not be saved: %s", session_id, error)
        raise
    journal.finish(record.final_status())
    bundle = record.write_bundle(bundle_dir).parent if bundle_dir else None
    if on_saved is not None:
        on_saved(session_id, record, bundle)
    report = score_and_save(context, storage, record, scenario, session_id, bundle)
    return PracticeRun(session_id, record, report, bundle)
