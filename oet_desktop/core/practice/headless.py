"""Headless role-play: candidate turns from audio files (or synthesised for a demo) through the real
pipeline, in real time or on a simulated clock (`--fast`), leaving a session bundle."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.memory import RecordingOutput
from oet_desktop.core.audio.types import SAMPLE_RATE, AudioOutput, Samples
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.embeddings.embedder import Embedder
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.llm.types import LanguageModel
from oet_desktop.core.models.catalog import Catalog
from oet_desktop.core.practice.clock import Clock, MonotonicClock, SimulatedClock
from oet_desktop.core.practice.director import Director, MoveKind
from oet_desktop.core.practice.engine import RolePlayEngine, TurnMode
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon
from oet_desktop.core.practice.realiser import PHRASING, Realiser
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.practice.session import Mode, PracticeSession
from oet_desktop.core.speech.stt import Transcriber
from oet_desktop.core.speech.vad import VadConfig
from oet_desktop.core.speech.vocabulary import card_vocabulary
from oet_desktop.core.tts.voice import PiperVoiceEngine, Voice

BLOCK = SAMPLE_RATE * 30 // 1000
LEAD_IN_S = 0.4
LISTEN_GAP_S = 0.5
"""Silence after the patient stops before the candidate's next turn."""
TURN_TAIL_S = 1.5
"""Silence after each candidate clip (longer than the endpoint window, so the turn ends)."""


@dataclass
class PracticeParts:
    """The engines a headless role-play uses."""

    transcriber: Transcriber
    voice: Voice
    embedder: Embedder
    language_model: LanguageModel | None
    models: dict[str, str]
    phrasing: frozenset[MoveKind] = PHRASING["scripted"]


def parts_from_engines(engines: EngineSet, catalog: Catalog, phrasing: str = "auto") -> PracticeParts:
    """The engines a role-play needs, loading each (slow: call off the UI thread). ``phrasing`` picks which moves
    the language model phrases ("auto": by model size); the model is not loaded when it phrases none."""
    from oet_desktop.core.models.catalog import ModelRole
    from oet_desktop.core.practice.realiser import phrasing_for

    llm_id = engines.model_id(ModelRole.LLM)
    small = not engines.settings.llm_server_url and llm_id == catalog.default_for(ModelRole.LLM).id
    models = {role.value: engines.model_id(role) for role in ModelRole}
    if engines.settings.llm_server_url:
        models["llm"] = f"{engines.settings.llm_server_url} ({engines.settings.llm_server_model})"
    kinds = phrasing_for(phrasing, small)
    return PracticeParts(engines.transcriber(), engines.voice(), engines.embedder(),
                         engines.language_model() if kinds else None, models, kinds)


def build_engine(scenario: Scenario, parts: PracticeParts, session: PracticeSession, output: AudioOutput,
                 clock: Clock, record: SessionRecord, vad_config: VadConfig | None = None,
                 turn_mode: TurnMode = TurnMode.HALF_DUPLEX) -> RolePlayEngine:
    """The role-play engine for one card: its director (with the card's and the lexicon's jargon), the
    realiser, and the recogniser biased towards the card's vocabulary."""
    lexicon = load_lexicon()
    jargon = JargonDetector.for_scenario(scenario.lay_terms, lexicon, scenario.interlocutor_words)
    return RolePlayEngine(
        session, Director(scenario, parts.embedder, jargon), Realiser(scenario, parts.language_model, parts.phrasing),
        parts.transcriber, parts.voice, output, clock, record, vad_config, turn_mode,
        vocabulary=card_vocabulary(scenario, lexicon),
    )


def demo_turns(scenario: Scenario) -> list[str]:
    """What a reasonable candidate might say: a greeting, a question on each of the first facts, the first
    probe of each task, and a goodbye (original wording built from the card)."""
    card = scenario.candidate
    person = scenario.interlocutor
    surname = person.name.split()[-1]
    title = person.name.split()[0] if person.name.split()[0] in ("Mr", "Mrs", "Ms", "Dr", "Miss") else ""
    turns = [f"Hello {title + ' ' if title else ''}{surname}, my name is Sam, and I'm one of the "
             f"{card.role.lower()}s here. Would it be all right if we talked for a few minutes?"]
    facts = list(person.facts)
    for index, task in enumerate(card.tasks):
        if index < len(facts):
            turns.append(f"Can you tell me a little about {facts[index].about[0]}?")
        turns.append(task.probes[0] if task.probes else task.text)
    turns.append("Thank you for talking with me today. Take care, goodbye.")
    return turns


def synthesise_turns(voice: PiperVoiceEngine, texts: list[str]) -> list[Samples]:
    """Candidate clips at 16 kHz, spoken by the voice."""
    clips = []
    for text in texts:
        audio, rate = voice.speak_all(text)
        clips.append(resample(audio, rate, SAMPLE_RATE))
    return clips


def run_headless(
    scenario: Scenario,
    clips: list[Samples],
    parts: PracticeParts,
    fast: bool,
    turn_mode: TurnMode = TurnMode.HALF_DUPLEX,
    mode: Mode = Mode.PRACTICE,
    vad_config: VadConfig | None = None,
    on_turn: Callable[[str], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    record: SessionRecord | None = None,
) -> SessionRecord:
    """Play the clips as the candidate's turns, each after the patient's previous reply; then close.
    ``checkpoint`` is called after every turn (the caller saves ``record``, which it may pass in, as it goes)."""
    clock: Clock = SimulatedClock() if fast else MonotonicClock()
    session = PracticeSession([scenario], mode, clock)
    session.start()
    if record is None:
        record = SessionRecord(scenario.id, mode.value, turn_mode.value, parts.models)
    engine = build_engine(scenario, parts, session, RecordingOutput(), clock, record, vad_config, turn_mode)
    feeder = _Feeder(engine, clock, fast)
    engine.start()
    try:
        for clip in clips:
            if engine.finished:
                break
            feeder.silence(LEAD_IN_S)
            turns_before = len(record.turns)
            feeder.feed(clip)
            feeder.silence(TURN_TAIL_S)
            if len(record.turns) > turns_before and on_turn:
                turn = record.turns[-1]
                on_turn(f"candidate: {turn.candidate_text}\n  patient ({turn.move_kind}, {turn.reply_source}, "
                        f"{turn.latency.response * 1000:.0f} ms): {turn.reply_text}")
            if len(record.turns) > turns_before and checkpoint:
                checkpoint()
            feeder.silence(max(0.0, engine.busy_until - engine.now()) + LISTEN_GAP_S)
        _close(engine, record, on_turn)
    finally:
        engine.shutdown()
    return record


TYPED_WORDS_PER_S = 2.5
"""A typed turn takes as long on the role-play's clock as saying it would (150 words a minute)."""


def read_typed_turns(text: str) -> list[str]:
    """Candidate turns from a typed script: one turn a line; blank lines and lines starting with # are skipped."""
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def run_typed(
    scenario: Scenario,
    turns: list[str],
    parts: PracticeParts,
    mode: Mode = Mode.PRACTICE,
    on_turn: Callable[[str], None] | None = None,
    checkpoint: Callable[[], None] | None = None,
    record: SessionRecord | None = None,
) -> SessionRecord:
    """A role-play typed rather than spoken, on a simulated clock: each line is one candidate turn (taking as
    long as saying it would), the patient answers in text and voice (kept in the record); then close."""
    clock = SimulatedClock()
    session = PracticeSession([scenario], mode, clock)
    session.start()
    if record is None:
        record = SessionRecord(scenario.id, mode.value, TurnMode.TYPED.value, parts.models)
    engine = build_engine(scenario, parts, session, RecordingOutput(), clock, record, turn_mode=TurnMode.TYPED)
    engine.start()
    try:
        for text in turns:
            clock.advance(LEAD_IN_S + len(text.split()) / TYPED_WORDS_PER_S)
            engine.tick()
            if engine.finished:
                break
            engine.type_turn(text)
            turn = record.turns[-1]
            if on_turn:
                on_turn(f"candidate: {turn.candidate_text}\n  patient ({turn.move_kind}, {turn.reply_source}): "
                        f"{turn.reply_text}")
            if checkpoint:
                checkpoint()
            clock.advance(max(0.0, engine.busy_until - engine.now()) + LISTEN_GAP_S)
            if engine.finished:
                break
        _close(engine, record, on_turn)
    finally:
        engine.shutdown()
    return record


def _close(engine: RolePlayEngine, record: SessionRecord, on_turn: Callable[[str], None] | None) -> None:
    """The candidate ran out of turns: the patient says the closing line."""
    if not engine.finished:
        engine.end_early()
        if on_turn:
            on_turn(f"patient (closing): {record.turns[-1].reply_text}")


class _Feeder:
    """Feeds blocks to the engine, advancing a simulated clock or keeping real-time pace."""

    def __init__(self, engine: RolePlayEngine, clock: Clock, fast: bool) -> None:
        self._engine, self._clock, self._fast = engine, clock, fast
        self._due: float | None = None

    def feed(self, samples: Samples) -> None:
        for offset in range(0, samples.size, BLOCK):
            block = samples[offset : offset + BLOCK]
            seconds = block.size / SAMPLE_RATE
            if self._fast:
                assert isinstance(self._clock, SimulatedClock)
                self._clock.advance(seconds)
            else:  # keep to absolute time, as a sound card's clock does (no drift from the work done per block)
                self._due = max(self._due or self._clock.now(), self._clock.now() - 0.5) + seconds
                self._clock.sleep(self._due - self._clock.now())
            self._engine.on_audio(block)

    def silence(self, seconds: float) -> None:
        self.feed(np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32))
