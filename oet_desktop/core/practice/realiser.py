"""The realiser: a language model phrases the director's move in character, streamed sentence by sentence
and validated; the scripted line is used when there is no model, when it is too slow, or when a rule fails."""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.errors import EngineError
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings, LanguageModel
from oet_desktop.core.practice.director import Move, MoveKind
from oet_desktop.core.practice.validation import MAX_SENTENCES, ReplyContext, ReplyValidator
from oet_desktop.core.tts.voice import split_sentences

PHRASING: dict[str, frozenset[MoveKind]] = {
    "scripted": frozenset(),
    "free": frozenset({MoveKind.ACKNOWLEDGE, MoveKind.UNKNOWN, MoveKind.REASSURED, MoveKind.CONFIRM}),
    "all": frozenset(MoveKind) - {MoveKind.CLOSING},
}
"""Which moves the language model phrases: none (the card's lines), only the free moves (acknowledgements,
reactions to reassurance, confirmations, "not sure"), or all but the fixed closing line."""


def phrasing_for(setting: str, small_model: bool) -> frozenset[MoveKind]:
    """``setting`` is "auto" or a key of :data:`PHRASING`. "auto" keeps the card's lines with a small model:
    on 2 CPU cores SmolLM2-135M took 0.4-1.4 s to a first sentence and its phrasing was repetitive, so it
    would only slow the patient down; a capable model (Llama 3.x, Mistral) phrases every move."""
    if setting == "auto":
        return PHRASING["scripted"] if small_model else PHRASING["all"]
    return PHRASING[setting]

def phrasing_name(kinds: frozenset[MoveKind]) -> str:
    """The :data:`PHRASING` key for a set of moves (as "auto" resolved it), or the moves themselves."""
    for name, value in PHRASING.items():
        if value == kinds:
            return name
    return ",".join(sorted(kind.value for kind in kinds))


_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


@dataclass(frozen=True)
class Line:
    """One interlocutor turn as (history) text: who said it."""

    speaker: str  # "candidate" | "interlocutor"
    text: str


@dataclass
class Realisation:
    """How a move was put into words: the sentences, where they came from, and why."""

    move: Move
    sentences: list[str] = field(default_factory=list)
    source: str = "scripted"  # "llm" | "scripted"
    rejection: str | None = None
    llm_first_token_s: float | None = None
    first_sentence_s: float | None = None

    @property
    def text(self) -> str:
        """The whole reply."""
        return " ".join(self.sentences)


def reply_context(history: list[Line]) -> ReplyContext:
    """What a reply is checked against: the whole role-play so far (not a window: a line said ten turns ago
    is as much a repeat as the last one)."""
    return ReplyContext(
        conversation=" ".join(line.text for line in history),
        said_before=tuple(line.text for line in history if line.speaker != "candidate" and line.text.strip()),
        candidate_said=" ".join(line.text for line in history if line.speaker == "candidate"),
    )


def persona_prompt(scenario: Scenario) -> str:
    """The system prompt: constant for a role-play, so llama.cpp keeps it in its cache between turns."""
    card = scenario.interlocutor
    who = f"{card.name}" + (f", {card.age}" if card.age else "")
    return (
        f"You are {who}, the {card.role.lower()} in a conversation with a {scenario.candidate.role.lower()} "
        f"({scenario.setting}). {card.brief} You feel {card.stance or 'as the brief says'}.\n"
        "Rules: speak only as yourself, in plain everyday words, in one or two short sentences. Never give "
        "medical advice, never speak as the clinician, never mention being an AI. Do not invent new facts, "
        "names or numbers. When told what to say, say just that in your own words."
    )


class Realiser:
    """Turns moves into sentences. ``model`` may be None (scripted lines only)."""

    def __init__(
        self,
        scenario: Scenario,
        model: LanguageModel | None,
        llm_kinds: frozenset[MoveKind] = PHRASING["all"],
        first_sentence_deadline_s: float = 0.8,
    ) -> None:
        self.scenario = scenario
        self._model = model
        self._llm_kinds = llm_kinds
        self._deadline = first_sentence_deadline_s
        self._persona = ChatMessage("system", persona_prompt(scenario))
        self._worker: _Generation | None = None
        card = scenario.interlocutor
        card_text = " ".join([scenario.candidate.background, card.brief, *(f.say for f in card.facts),
                              *(c.say for c in card.cues), card.resolution.say, card.name])
        own_lines = [*(f.say for f in card.facts), *(c.say for c in card.cues), card.resolution.say]
        self.validator = ReplyValidator(card_text, card.name, own_lines)

    def realise(self, move: Move, history: list[Line], result: Realisation | None = None) -> Iterator[str]:
        """Yield the reply sentence by sentence (the first as soon as it is ready and valid).
        ``result`` (if given) is filled in with the source, rejection and timings."""
        result = result or Realisation(move)
        began = time.perf_counter()
        self._finish_previous()
        if self._model is None or move.kind not in self._llm_kinds:
            yield from self._scripted(move, result, began)
            return
        context = reply_context(history)
        conversation = context.conversation
        messages = [self._persona, *self._history(history),
                    ChatMessage("user", f"(What to do now: {move.intent} Suggested words: \"{move.say}\")")]
        worker = _Generation(self._model, messages)
        self._worker = worker
        # A fact's answer, a cue, the resolution and a clarification are held until the reply is complete, then
        # checked whole: they must keep their line (the fact, the cue's content, the agreement, the term).
        hold = self.validator.needs_whole_reply(move)
        pending = ""
        produced: list[str] = []
        finished = False
        while len(produced) < MAX_SENTENCES and result.rejection is None and not finished:
            wait = self._deadline - (time.perf_counter() - began) if not produced else 30.0
            piece = worker.next_piece(max(0.0, wait))
            if piece is _TIMEOUT:
                result.rejection = f"deadline: no sentence within {self._deadline:.1f} s"
                break
            if isinstance(piece, EngineError):
                result.rejection = f"model error: {piece.problem}"
                break
            if piece is None:  # the reply is complete: a last sentence may lack its full stop
                finished = True
                pending = pending.strip() + ("." if pending.strip() else "")
            else:
                if result.llm_first_token_s is None:
                    result.llm_first_token_s = time.perf_counter() - began
                pending += str(piece)
            while len(produced) < MAX_SENTENCES and (end := _SENTENCE_END.search(pending)) is not None:
                sentence = self.validator.strip_label(pending[: end.end()].strip())
                pending = pending[end.end():]
                problem = (self.validator.check_sentence(sentence, conversation)
                           or self.validator.check_in_context(sentence, move, context, produced))
                if problem:
                    result.rejection = f"{problem.rule}: {problem.detail}"
                    break
                produced.append(sentence)
                if hold:
                    continue
                if len(produced) == 1:
                    result.first_sentence_s = time.perf_counter() - began
                    result.source = "llm"
                result.sentences.append(sentence)
                yield sentence
        worker.stop()
        if hold and produced and result.rejection is None:
            problem = self.validator.check_reply(produced, conversation, move.must_carry, move, context)
            if problem:
                result.rejection = f"{problem.rule}: {problem.detail}"
            else:
                result.first_sentence_s = time.perf_counter() - began
                result.source = "llm"
                result.sentences = list(produced)
                yield from produced
        if not result.sentences:
            yield from self._scripted(move, result, began)

    def _finish_previous(self) -> None:
        """Wait for a reply abandoned at its deadline to stop before the model is used again."""
        if self._worker is not None:
            self._worker.join()
            self._worker = None

    def _scripted(self, move: Move, result: Realisation, began: float) -> Iterator[str]:
        result.source = "scripted"
        result.sentences = []
        for index, sentence in enumerate(split_sentences(move.say)):
            if index == 0:
                result.first_sentence_s = time.perf_counter() - began
            result.sentences.append(sentence)
            yield sentence

    def _history(self, history: list[Line]) -> list[ChatMessage]:
        # The whole conversation, not a sliding window: every call then extends the previous prompt, so
        # llama.cpp re-evaluates only the new turns. (A context overflow falls back to the scripted line.)
        return [ChatMessage("user" if line.speaker == "candidate" else "assistant", line.text) for line in history]


_TIMEOUT = object()


class _Generation:
    """Streams one reply on a worker thread, so the realiser can stop waiting at its deadline (a model busy
    evaluating a long prompt yields nothing for a while)."""

    def __init__(self, model: LanguageModel, messages: list[ChatMessage]) -> None:
        self._pieces: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        settings = GenerationSettings(max_tokens=60, temperature=0.5, stop=("\n", "User:", "Nurse:", "Doctor:"))
        self._thread = threading.Thread(target=self._run, args=(model, messages, settings), daemon=True,
                                        name="llm-reply")
        self._thread.start()

    def _run(self, model: LanguageModel, messages: list[ChatMessage], settings: GenerationSettings) -> None:
        stream = model.stream_chat(messages, settings)
        try:
            for piece in stream:
                if self._stop.is_set():
                    break
                self._pieces.put(piece)
        except EngineError as exc:
            self._pieces.put(exc)
        finally:
            close = getattr(stream, "close", None)
            if close:
                close()
            self._pieces.put(None)

    def next_piece(self, timeout: float) -> object:
        """The next text piece, None at the end, an EngineError, or _TIMEOUT."""
        try:
            return self._pieces.get(timeout=timeout)
        except queue.Empty:
            return _TIMEOUT

    def stop(self) -> None:
        """Ask the worker to stop after its current token."""
        self._stop.set()

    def join(self) -> None:
        """Wait for the worker to finish."""
        self._stop.set()
        self._thread.join()
