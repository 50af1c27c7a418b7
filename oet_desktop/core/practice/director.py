"""The director: decides the interlocutor's next move from what the candidate said.

Moves, by priority: the closing (the candidate says goodbye), the opening cue (first turn), a clarification
request (a technical term without a lay explanation), a fact (the candidate asked about one of its topics),
the next due cue (cues fire once, in order), the resolution, "not sure" (a question about nothing on the
card), an acknowledgement. Every decision records its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from oet_desktop.core.content.scenario import CLOSING_LINE, Cue, Fact, Scenario
from oet_desktop.core.embeddings.embedder import Embedder, Vectors
from oet_desktop.core.practice.jargon import JargonDetector
from oet_desktop.core.practice.text import clauses, content_words, is_question, words

FACT_THRESHOLD = 0.42
"""Minimum topic score (cosine + word-overlap bonus) for a question to be about a fact."""
TASK_THRESHOLD = 0.55
"""Minimum cosine between a candidate sentence and a task's text or probes for the task to count as covered."""
RESOLUTION_TIME_LEFT = 40.0
"""With this little time left the interlocutor comes round anyway (as the card's resolution says)."""

# Ideas and concerns (Calgary-Cambridge "ICE"; OET indicator B1) are asked in many ways, and sentence
# embeddings weigh the topic ("the tendon") far above the intent ("what is your understanding"). So the
# intent is read from the question's wording, and a card's fact about what the person knows, or about their
# worry, gets a bonus when the question asks for it.
_IDEAS_TOPICS = re.compile(r"\b(know|understand|told|heard|believe|explained)", re.IGNORECASE)
_CONCERN_TOPICS = re.compile(r"\b(worr|concern|afraid|fear|scare|frighten)", re.IGNORECASE)
_IDEAS_QUESTION = re.compile(
    r"\b(what (do|did) you (already )?know|what have you (been told|heard|read)|understand\w*|explained|"
    r"aware of|any idea|your idea|what (do|did) you think (is|it|caused|might|could|was)|put .{0,40} down to|"
    r"what do you make of|believe)\b", re.IGNORECASE)
_CONCERN_QUESTION = re.compile(
    r"\b(worr\w*|concern\w*|afraid|fear\w*|frighten\w*|scar(ed|es|y)|bother\w*|on your mind|weigh\w*|"
    r"playing on|troubl\w*|upset\w*|nervous|anxious)\b", re.IGNORECASE)
INTENT_BONUS = 0.25

_CLOSING = re.compile(r"\b(good ?bye|bye now|bye bye|take care|see you( soon| later)?|all the best|"
                      r"that'?s (all|everything) (for|from me)|we'?ll leave it there)\b", re.IGNORECASE)
_CLARIFY = ("Sorry, what does {term} mean?", "I'm sorry, I don't know what {term} is.",
            "{Term}? What's that, in plain English?")
_UNKNOWN = ("I'm not sure, to be honest.", "I don't really know, sorry.", "Hmm, I couldn't tell you.")
_ACKNOWLEDGE = ("Okay.", "Right, I see.", "Mm, okay.", "All right.")


def _intent_tags(fact: Fact) -> tuple[bool, bool]:
    """Whether a fact answers an ideas question, and whether it answers a concerns question."""
    topics = " ".join(fact.about)
    return bool(_IDEAS_TOPICS.search(topics)), bool(_CONCERN_TOPICS.search(topics))


class MoveKind(StrEnum):
    """What the interlocutor does this turn."""

    CUE = "cue"
    FACT = "fact"
    CLARIFY = "clarify"
    RESOLUTION = "resolution"
    CLOSING = "closing"
    UNKNOWN = "unknown"
    ACKNOWLEDGE = "acknowledge"


@dataclass(frozen=True)
class Move:
    """One decision: the scripted line (always a correct reply on its own), the intent for a language
    model, what it refers to, and why it was chosen."""

    kind: MoveKind
    say: str
    intent: str
    reason: str
    ref: str | None = None
    must_carry: tuple[str, ...] = ()
    """Lines whose content the reply must keep (a fact's answer)."""


@dataclass(frozen=True)
class CandidateTurn:
    """What the candidate said and when (seconds into the role-play)."""

    text: str
    elapsed: float
    time_left: float | None = None


@dataclass
class DirectorState:
    """What has happened so far."""

    turns: int = 0
    covered_tasks: list[str] = field(default_factory=list)
    fired_cues: list[str] = field(default_factory=list)
    told_facts: list[str] = field(default_factory=list)
    clarified_terms: list[str] = field(default_factory=list)
    resolution_given: bool = False
    turns_since_cue: int = 0
    closed: bool = False


class Director:
    """Decides moves for one scenario. ``embedder`` matches topics; ``jargon`` finds unexplained terms."""

    def __init__(self, scenario: Scenario, embedder: Embedder, jargon: JargonDetector) -> None:
        self.scenario = scenario
        self.state = DirectorState()
        self._embedder = embedder
        self._jargon = jargon
        card = scenario.interlocutor
        self._facts = list(card.facts)
        self._cues = list(card.cues)
        fact_texts = [[*fact.about, " ".join(fact.about), fact.say] for fact in self._facts]
        self._fact_intents = [_intent_tags(fact) for fact in self._facts]
        self._fact_owner = [i for i, texts in enumerate(fact_texts) for _ in texts]
        self._fact_vectors = embedder.embed([t for texts in fact_texts for t in texts])
        self._fact_words = [content_words(" ".join(fact.about)) for fact in self._facts]
        task_texts = [[task.text, *task.probes] for task in scenario.candidate.tasks]
        self._task_owner = [i for i, texts in enumerate(task_texts) for _ in texts]
        self._task_vectors = embedder.embed([t for texts in task_texts for t in texts])

    # --- the decision -------------------------------------------------------------------------------
    def decide(self, turn: CandidateTurn) -> Move:
        """The move answering this candidate turn (state is updated)."""
        state = self.state
        state.turns += 1
        sentences = clauses(turn.text) or [turn.text]
        vectors = self._embedder.embed(sentences) if turn.text.strip() else None
        newly_covered = self._update_coverage(vectors)
        facts = self._asked_facts(sentences, vectors)

        if state.turns > 1 and _CLOSING.search(sentences[-1]) and not is_question(sentences[-1]):
            return self._closing("the candidate closed the conversation")
        if state.turns == 1 and self._cues and self._cues[0].when.kind == "start":
            return self._fire(self._cues[0], "the role-play opens with the first cue")
        jargon = self._jargon.first_unexplained(turn.text)
        if jargon and jargon.term.lower() not in state.clarified_terms:
            state.clarified_terms.append(jargon.term.lower())
            template = _CLARIFY[(len(state.clarified_terms) - 1) % len(_CLARIFY)]
            say = template.format(term=jargon.term, Term=jargon.term[:1].upper() + jargon.term[1:])
            return Move(MoveKind.CLARIFY, say, f"Ask what '{jargon.term}' means; you do not understand it.",
                        f"'{jargon.term}' was used without a lay explanation (lay: {jargon.lay})", jargon.term)
        if facts:
            for fact in facts:
                if fact.id not in state.told_facts:
                    state.told_facts.append(fact.id)
            state.turns_since_cue += 1
            say = " ".join(f.say for f in facts)
            topics = ", ".join(f.id for f in facts)
            return Move(MoveKind.FACT, say, "Answer the question with what your card says: " + say,
                        f"the candidate asked about {topics}", topics, tuple(f.say for f in facts))
        cue = self._due_cue(turn)
        if cue is not None:
            return self._fire(cue, self._cue_reason(cue, newly_covered))
        if self._resolution_due(turn):
            return self._resolution("the objection was addressed" if state.turns_since_cue
                                    else "time is nearly up")
        state.turns_since_cue += 1
        if any(is_question(s) for s in sentences):
            say = _UNKNOWN[state.turns % len(_UNKNOWN)]
            return Move(MoveKind.UNKNOWN, say,
                        "Answer briefly only if your brief says; otherwise say you are not sure.",
                        "a question about nothing on the card")
        say = _ACKNOWLEDGE[state.turns % len(_ACKNOWLEDGE)]
        return Move(MoveKind.ACKNOWLEDGE, say, "Acknowledge briefly, in character, and let the nurse go on.",
                    "the candidate explained or reassured; nothing is due")

    def scripted_lines(self) -> list[str]:
        """Every line this card can make the interlocutor say verbatim (for synthesising them in advance)."""
        card = self.scenario.interlocutor
        closing = [f"{card.resolution.say} {CLOSING_LINE}", CLOSING_LINE]
        return [*(c.say for c in card.cues), *(f.say for f in card.facts), card.resolution.say, *closing,
                *_ACKNOWLEDGE, *_UNKNOWN]

    def closing(self, reason: str = "time is up") -> Move:
        """The end of the role-play: the resolution if not yet given, then the closing line."""
        return self._closing(reason)

    # --- parts ---------------------------------------------------------------------------------------
    def _update_coverage(self, vectors: Vectors | None) -> list[str]:
        if vectors is None:
            return []
        scores = vectors @ self._task_vectors.T
        covered: list[str] = []
        tasks = self.scenario.candidate.tasks
        for column in np.nonzero(scores.max(axis=0) >= TASK_THRESHOLD)[0]:
            task_id = tasks[self._task_owner[int(column)]].id
            if task_id not in self.state.covered_tasks and task_id not in covered:
                covered.append(task_id)
        self.state.covered_tasks.extend(covered)
        return covered

    def fact_scores(self, sentence: str, vector: np.ndarray) -> list[float]:
        """Topic score of a sentence for each fact: best cosine with its topics or answer, plus bonuses for
        shared words and for an ideas/concerns question meeting the fact that answers it."""
        cosines = self._fact_vectors @ vector
        best = [-1.0] * len(self._facts)
        for row, owner in enumerate(self._fact_owner):
            best[owner] = max(best[owner], float(cosines[row]))
        said = content_words(sentence)
        asks_ideas, asks_concerns = bool(_IDEAS_QUESTION.search(sentence)), bool(_CONCERN_QUESTION.search(sentence))
        return [
            score + 0.08 * min(2, len(said & self._fact_words[i]))
            + INTENT_BONUS * ((asks_ideas and ideas) or (asks_concerns and concerns))
            for i, (score, (ideas, concerns)) in enumerate(zip(best, self._fact_intents, strict=True))
        ]

    def _asked_facts(self, sentences: list[str], vectors: Vectors | None) -> list[Fact]:
        if vectors is None:
            return []
        chosen: list[Fact] = []
        for index, (sentence, vector) in enumerate(zip(sentences, vectors, strict=True)):
            if not is_question(sentence) or len(words(sentence)) < 2:
                continue
            scores = self.fact_scores(sentence, vector)
            if index > 0:  # "I noticed some rugs. How would you feel about moving them?": the topic came first
                joined = f"{sentences[index - 1]} {sentence}"
                with_context = self.fact_scores(joined, self._embedder.embed([joined])[0])
                scores = [max(a, b) for a, b in zip(scores, with_context, strict=True)]
            best = int(np.argmax(scores))
            if scores[best] >= FACT_THRESHOLD and self._facts[best] not in chosen:
                chosen.append(self._facts[best])
        return chosen[:2]  # a compound question gets at most two answers

    def _due_cue(self, turn: CandidateTurn) -> Cue | None:
        fired = len(self.state.fired_cues)
        if fired >= len(self._cues):
            return None
        cue = self._cues[fired]  # strictly in order
        when = cue.when
        due = (
            (when.kind == "start")
            or (when.kind == "after_task" and when.task in self.state.covered_tasks)
            or (when.kind == "after_seconds" and turn.elapsed >= when.amount)
            or (when.kind == "after_turns" and self.state.turns >= when.amount)
        )
        return cue if due else None

    def _cue_reason(self, cue: Cue, newly_covered: list[str]) -> str:
        when = cue.when
        if when.kind == "after_task":
            now = " (covered this turn)" if when.task in newly_covered else ""
            return f"cue {cue.id}: task {when.task} has been covered{now}"
        if when.kind == "after_seconds":
            return f"cue {cue.id}: {when.amount:.0f} s of the role-play have passed"
        if when.kind == "after_turns":
            return f"cue {cue.id}: the candidate has spoken {self.state.turns} times"
        return f"cue {cue.id}: due at the start"

    def _resolution_due(self, turn: CandidateTurn) -> bool:
        state = self.state
        if state.resolution_given:
            return False
        if turn.time_left is not None and turn.time_left <= RESOLUTION_TIME_LEFT:
            return True
        all_cues_fired = len(state.fired_cues) == len(self._cues)
        substantive = len(content_words(turn.text)) >= 5 and not is_question(turn.text.strip())
        return all_cues_fired and state.turns_since_cue >= 1 and substantive

    def _fire(self, cue: Cue, reason: str) -> Move:
        self.state.fired_cues.append(cue.id)
        self.state.turns_since_cue = 0
        return Move(MoveKind.CUE, cue.say, cue.intent, reason, cue.id)

    def _resolution(self, reason: str) -> Move:
        self.state.resolution_given = True
        resolution = self.scenario.interlocutor.resolution
        return Move(MoveKind.RESOLUTION, resolution.say, resolution.intent, reason, "resolution")

    def _closing(self, reason: str) -> Move:
        state = self.state
        state.closed = True
        parts = [] if state.resolution_given else [self.scenario.interlocutor.resolution.say]
        state.resolution_given = True
        return Move(MoveKind.CLOSING, " ".join([*parts, CLOSING_LINE]), "Say the closing line.", reason,
                    "closing")
