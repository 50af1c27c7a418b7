"""The director: decides the interlocutor's next move from what the candidate said.

Moves, by priority: the closing (the candidate says goodbye), the opening cue (first turn), a clarification
request (a technical term without a lay explanation), the patient's own version of what was explained (a
teach-back request), a fact (a real question about one of its topics; a fact already given is referred back
to, never repeated word for word), a confirmation (a summary of what the patient said), the next due cue
(cues fire once, in order, only when their condition holds), the resolution, "not sure" (a question about
nothing on the card), and a reaction in character to what was said (relief after reassurance, an
acknowledgement of an explanation or of safety-netting). Every decision records its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from oet_desktop.core.content.scenario import CLOSING_LINE, Cue, CueKind, Fact, Scenario
from oet_desktop.core.embeddings.embedder import Embedder, Vectors
from oet_desktop.core.practice.intents import ClassifiedSentence, SentenceIntent, classify, turn_reaction
from oet_desktop.core.practice.jargon import JargonDetector
from oet_desktop.core.practice.phrases import load_everyday_phrases
from oet_desktop.core.practice.reactions import Reaction, ReactionLines
from oet_desktop.core.practice.retelling import retell
from oet_desktop.core.practice.text import clauses, content_words, words

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
_IDEAS_TOPICS = re.compile(r"\b(know|knows|understand\w*|told|heard|believ\w*|explained|thinks?|ideas?|theory|"
                           r"cause[sd]?|why)\b", re.IGNORECASE)
_CONCERN_TOPICS = re.compile(r"\b(worr\w*|concern\w*|afraid|fears?|scare\w*|frighten\w*|dread\w*|upset\w*|"
                             r"guilt\w*|ashamed|embarrass\w*)\b", re.IGNORECASE)
_IDEAS_QUESTION = re.compile(
    r"\b(what (do|did) you (already )?know|what have you (been told|heard|read)|(what|how much) (do|did) you "
    r"(already )?understand|your understanding|understand (about|what|why)|explained|explain (it|"
    r"this|that|what)|aware of|any idea|your (idea|theory|thoughts)|what (do|did) you think (is|it|caused|might|could|"
    r"was|has|had|happened)|put .{0,40} down to|what do you make of|believe|theory|thoughts on (why|what|how)|"
    r"where do you think|why do you think|what('s| is| was) behind|(had|has|did) (anyone|anybody|someone|the \w+) "
    r"(told|said|mentioned|explained)|how did (they|the \w+|anyone) (explain|describe|put it)|what (were|have) you "
    r"told|any thoughts|how come|what('s| has) brought (this|it) on|what caused|impression|your picture of|"
    r"looked (anything|it|that|this) up|read (anything|up)|come across|heard (anything|much)|what do you reckon|"
    r"what did (the|your|they|he|she) [\w ]{0,30}(say|tell|mention|explain)|what were you told)\b", re.IGNORECASE)
_CONCERN_QUESTION = re.compile(
    r"\b(worr\w*|concern\w*|afraid|fear\w*|frighten\w*|scar(ed|es|y)|bother\w*|on your mind|weigh\w*|"
    r"playing on|troubl\w*|upset\w*|nervous|anxious|doubts?|hardest|worst part|gets? (to )?you( down)?|getting to "
    r"you|keeps? you (awake|up)|going (round|through) (in )?your (head|mind)|dread\w*|hate to|panic\w*|"
    r"most (afraid|worried|concerned)|stress\w*|what if|biggest (fear|worry|concern)|get(s|ting)? you down|"
    r"shaken|hit you|lose sleep|on edge)\b", re.IGNORECASE)
_LEAD_IN = re.compile(r"^((so|and|okay|ok|right|now|well)[,.]?\s+)*(i was wondering (whether|if|how|what|who|when)|"
                      r"i'?m wondering (whether|if|how|what|who|when)|tell me (a bit|a little|some|more)( more)? about|"
                      r"(can|could|would) you (please )?tell me( a (bit|little)( more)?)?( about)?|"
                      r"do you mind telling me|"
                      r"i'?d like to (know|ask)|i wanted to ask|may i ask|let me ask|can i ask|could i ask)\s*",
                      re.IGNORECASE)
INTENT_BONUS = 0.25


_CLOSING = re.compile(r"\b(good ?bye|bye now|bye bye|take care|see you( soon| later)?|all the best|"
                      r"that'?s (all|everything) (for|from me)|we'?ll leave it there)\b", re.IGNORECASE)
_DOING_TASK = re.compile(r"^(explain|reassure|advise|recommend|tell|describe|suggest|encourage|outline|inform|"
                         r"teach|demonstrate|provide|offer|negotiate|persuade|emphasi[sz]e|stress|give|agree|"
                         r"discuss|address|arrange|respond|warn|instruct|motivate|convince)\b", re.IGNORECASE)
"""Tasks the candidate does by telling (an explanation, advice), so a question about the topic does not cover
them: "What do you know about the injections?" is not "Explain the purpose of the injections"."""
_EXPLAINING = (SentenceIntent.EXPLANATION, SentenceIntent.REASSURANCE, SentenceIntent.SAFETY_NET,
               SentenceIntent.SUMMARY)
_RETOLD = (SentenceIntent.EXPLANATION, SentenceIntent.SAFETY_NET)
"""What a teach-back retells: explanations and safety-netting (not comfort, not summaries)."""
_REACTION_TO = {SentenceIntent.REASSURANCE: Reaction.RELIEF, SentenceIntent.SAFETY_NET: Reaction.SAFETY_NET,
                SentenceIntent.EXPLANATION: Reaction.ACKNOWLEDGE}


def _intent_tags(fact: Fact) -> tuple[bool, bool]:
    """Whether a fact answers an ideas question, and whether it answers a concerns question (from its topics
    and its id: "main-worry", "knowledge")."""
    topics = " ".join([*fact.about, fact.id.replace("-", " ").replace("knowledge", "know")])
    return bool(_IDEAS_TOPICS.search(topics)), bool(_CONCERN_TOPICS.search(topics))


def _sentences(text: str) -> list[str]:
    parts = [p.strip() for p in re.split(r"(?<=[.!?])\s+", text.strip()) if p.strip()]
    return parts if len(parts) > 1 else []


class MoveKind(StrEnum):
    """What the interlocutor does this turn."""

    CUE = "cue"
    FACT = "fact"
    CLARIFY = "clarify"
    RESOLUTION = "resolution"
    CLOSING = "closing"
    UNKNOWN = "unknown"
    ACKNOWLEDGE = "acknowledge"
    REASSURED = "reassured"
    """A reaction to reassurance (relief, or guarded acceptance)."""
    CONFIRM = "confirm"
    """Confirming the candidate's summary."""
    TEACH_BACK = "teach_back"
    """The patient's own version of what was explained."""


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
    explained: list[str] = field(default_factory=list)
    """The candidate's explaining sentences so far (for a teach-back)."""
    resolution_given: bool = False
    turns_since_cue: int = 0
    closed: bool = False


class Director:
    """Decides moves for one scenario. ``embedder`` matches topics; ``jargon`` finds unexplained terms."""

    def __init__(self, scenario: Scenario, embedder: Embedder, jargon: JargonDetector,
                 everyday_phrases: dict[str, str] | None = None) -> None:
        self.scenario = scenario
        self.state = DirectorState()
        self._embedder = embedder
        self._jargon = jargon
        card = scenario.interlocutor
        self._lines = ReactionLines(card.stance)
        phrases = load_everyday_phrases() if everyday_phrases is None else everyday_phrases
        self._phrases = [(" ".join(words(k)), v) for k, v in phrases.items()]
        self._facts = list(card.facts)
        self._cues = list(card.cues)
        fact_texts = [[*fact.about, " ".join(fact.about), fact.say, *_sentences(fact.say)] for fact in self._facts]
        self._fact_intents = [_intent_tags(fact) for fact in self._facts]
        self._fact_owner = [i for i, texts in enumerate(fact_texts) for _ in texts]
        self._fact_vectors = embedder.embed([t for texts in fact_texts for t in texts])
        self._fact_words = [content_words(" ".join([*fact.about, fact.say])) for fact in self._facts]
        self._telling_task = [bool(_DOING_TASK.match(task.text.strip())) for task in scenario.candidate.tasks]
        task_texts = [[task.text, *task.probes] for task in scenario.candidate.tasks]
        self._task_owner = [i for i, texts in enumerate(task_texts) for _ in texts]
        self._task_vectors = embedder.embed([t for texts in task_texts for t in texts])

    # --- the decision -------------------------------------------------------------------------------
    def decide(self, turn: CandidateTurn) -> Move:
        """The move answering this candidate turn (state is updated)."""
        state = self.state
        state.turns += 1
        sentences = clauses(turn.text) or [turn.text]
        classified = classify(sentences, explained_before=bool(state.explained))
        vectors = self._embedder.embed(sentences) if turn.text.strip() else None
        newly_covered = self._update_coverage(classified, vectors)
        facts = self._asked_facts(classified, vectors)
        teach_back = any(c.intent is SentenceIntent.TEACH_BACK for c in classified)
        explained = state.explained[:]
        state.explained.extend(c.text for c in classified if c.intent in _RETOLD)

        if state.turns > 1 and _CLOSING.search(sentences[-1]) and classified[-1].intent is not SentenceIntent.QUESTION:
            return self._closing("the candidate closed the conversation")
        if state.turns == 1 and self._cues and self._cues[0].when.kind is CueKind.START:
            return self._fire(self._cues[0], "the role-play opens with the first cue")
        jargon = self._jargon.first_unexplained(turn.text)
        if jargon and jargon.term.lower() not in state.clarified_terms:
            state.clarified_terms.append(jargon.term.lower())
            term = jargon.heard
            say = self._lines.pick(Reaction.CLARIFY, term=term, Term=term[:1].upper() + term[1:])
            heard = f" (heard as '{jargon.heard}')" if jargon.heard.lower() != jargon.term.lower() else ""
            return Move(MoveKind.CLARIFY, say, f"Ask what '{term}' means; you do not understand it.",
                        f"'{jargon.term}'{heard} was used without a lay explanation (lay: {jargon.lay})",
                        jargon.term)
        if teach_back:
            own = [c.text for c in classified if c.intent in _RETOLD] or explained[-6:]
            request = " ".join(c.text for c in classified if c.intent is SentenceIntent.TEACH_BACK)
            state.turns_since_cue += 1
            say = retell(own, request)
            return Move(MoveKind.TEACH_BACK, say,
                        "Say back, briefly and in your own words, what the clinician just explained: " + say,
                        "the candidate asked the patient to say the plan back (teach-back)")
        if facts:
            return self._answer(facts)
        reaction = turn_reaction(classified)
        if reaction is SentenceIntent.SUMMARY:
            state.turns_since_cue += 1
            return Move(MoveKind.CONFIRM, self._lines.pick(Reaction.CONFIRM),
                        "Confirm briefly that the summary is right.", "the candidate summarised and checked")
        cue = self._due_cue(turn)
        if cue is not None:
            return self._fire(cue, self._cue_reason(cue, newly_covered))
        if self._resolution_due(turn, classified):
            return self._resolution("the objection was addressed" if state.turns_since_cue
                                    else "time is nearly up")
        state.turns_since_cue += 1
        if any(c.intent is SentenceIntent.QUESTION for c in classified):
            return Move(MoveKind.UNKNOWN, self._lines.pick(Reaction.UNKNOWN),
                        "Answer briefly only if your brief says; otherwise say you are not sure.",
                        "a question about nothing on the card")
        if reaction is SentenceIntent.REASSURANCE:
            return Move(MoveKind.REASSURED, self._lines.pick(Reaction.RELIEF),
                        "React in character to being reassured (relief, or guarded acceptance); add no facts.",
                        "the candidate reassured; nothing is due")
        ended_with_check = classified[-1].intent is SentenceIntent.CHECK
        kind = Reaction.UNDERSTOOD if ended_with_check and reaction is SentenceIntent.EXPLANATION else (
            _REACTION_TO.get(reaction, Reaction.ACKNOWLEDGE) if reaction else Reaction.ACKNOWLEDGE)
        what = "checked understanding" if kind is Reaction.UNDERSTOOD else "explained or advised"
        return Move(MoveKind.ACKNOWLEDGE, self._lines.pick(kind),
                    "Acknowledge briefly, in character, and let the clinician go on; add no facts.",
                    f"the candidate {what}; nothing is due")

    def _answer(self, facts: list[Fact]) -> Move:
        """A fact's line the first time; a short reference back (never the same line again) after that."""
        state = self.state
        state.turns_since_cue += 1
        new = [f for f in facts if f.id not in state.told_facts]
        again = [f for f in facts if f.id in state.told_facts]
        state.told_facts.extend(f.id for f in new)
        parts = [f.say for f in new]
        if again and not new:
            parts.append(self._reference_back(again[0]))
        say = " ".join(parts)
        topics = ", ".join(f.id for f in facts)
        reason = f"the candidate asked about {topics}" + (
            f" ({', '.join(f.id for f in again)} already told: referred back)" if again else "")
        return Move(MoveKind.FACT, say, "Answer the question with what your card says: " + say, reason, topics,
                    tuple(f.say for f in new) or (say,))

    def _reference_back(self, fact: Fact) -> str:
        """"Like I said, …" with the gist of the line: its first clause, never the whole line again."""
        first = re.split(r"(?<=[.!?])\s+", fact.say.strip())[0].rstrip(".!?")
        gist = re.split(r",\s+|\s+(?:but|and|so|because)\s+", first)[0]
        if len(gist.split()) < 3 or gist.strip() == fact.say.strip().rstrip(".!?"):
            return self._lines.pick(Reaction.ALREADY_SAID, gist="I told you that already, didn't I")
        gist = gist if gist.startswith(("I ", "I'")) else gist[:1].lower() + gist[1:]
        return self._lines.pick(Reaction.ALREADY_SAID, gist=gist)

    def scripted_lines(self) -> list[str]:
        """Every line this card can make the interlocutor say verbatim (for synthesising them in advance)."""
        card = self.scenario.interlocutor
        closing = [f"{card.resolution.say} {CLOSING_LINE}", CLOSING_LINE]
        return [*(c.say for c in card.cues), *(f.say for f in card.facts), card.resolution.say, *closing,
                *self._lines.fixed_lines()]

    def closing(self, reason: str = "time is up") -> Move:
        """The end of the role-play: the resolution if not yet given, then the closing line."""
        return self._closing(reason)

    # --- parts ---------------------------------------------------------------------------------------
    def _update_coverage(self, classified: list[ClassifiedSentence], vectors: Vectors | None) -> list[str]:
        """Tasks this turn covers. A task done by telling ("Explain…", "Reassure…") is covered only by a
        sentence that tells, not by a question on its topic."""
        if vectors is None:
            return []
        scores = vectors @ self._task_vectors.T
        telling = np.array([c.intent in _EXPLAINING for c in classified])
        covered: list[str] = []
        tasks = self.scenario.candidate.tasks
        for column in np.nonzero(scores.max(axis=0) >= TASK_THRESHOLD)[0]:
            owner = self._task_owner[int(column)]
            if self._telling_task[owner] and not bool(np.any(telling & (scores[:, column] >= TASK_THRESHOLD))):
                continue
            task_id = tasks[owner].id
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
            score + 0.05 * min(3, len(said & self._fact_words[i]))
            + INTENT_BONUS * ((asks_ideas and ideas) or (asks_concerns and concerns))
            for i, (score, (ideas, concerns)) in enumerate(zip(best, self._fact_intents, strict=True))
        ]

    def _asked_facts(self, classified: list[ClassifiedSentence], vectors: Vectors | None) -> list[Fact]:
        """Facts asked for by the turn's real questions (checks, teach-back requests and summaries ask for
        none)."""
        if vectors is None:
            return []
        chosen: list[Fact] = []
        for index, (item, vector) in enumerate(zip(classified, vectors, strict=True)):
            sentence = item.text
            if item.intent is not SentenceIntent.QUESTION or len(words(sentence)) < 2:
                continue
            scores = self.fact_scores(sentence, vector)
            variants = []
            plain = self._plain_words(sentence)
            if plain:  # "Have you been under the knife?" + "surgery operation"
                variants.append(f"{sentence} ({plain})")
            core = _LEAD_IN.sub("", sentence).strip()
            if core and core != sentence and len(words(core)) >= 2:  # "I was wondering whether he takes…"
                variants.append(core)
            if index > 0:  # "I noticed some rugs. How would you feel about moving them?": the topic came first
                variants.append(f"{classified[index - 1].text} {sentence}")
            if variants:
                for text, extra in zip(variants, self._embedder.embed(variants), strict=True):
                    scores = [max(a, b) for a, b in zip(scores, self.fact_scores(text, extra), strict=True)]
            best = int(np.argmax(scores))
            if scores[best] >= FACT_THRESHOLD and self._facts[best] not in chosen:
                chosen.append(self._facts[best])
        return chosen[:2]  # a compound question gets at most two answers

    def _plain_words(self, sentence: str) -> str:
        """Plain words for the everyday phrases in a sentence ("spend a penny" → "toilet urinate")."""
        low = f" {' '.join(words(sentence))} "
        return " ".join(plain for phrase, plain in self._phrases if f" {phrase} " in low)

    def _due_cue(self, turn: CandidateTurn) -> Cue | None:
        fired = len(self.state.fired_cues)
        if fired >= len(self._cues):
            return None
        cue = self._cues[fired]  # strictly in order
        when = cue.when
        due = (
            (when.kind is CueKind.START)
            or (when.kind is CueKind.AFTER_TASK and when.task in self.state.covered_tasks)
            or (when.kind is CueKind.AFTER_SECONDS and turn.elapsed >= when.amount)
            or (when.kind is CueKind.AFTER_TURNS and self.state.turns >= when.amount)
        )
        return cue if due else None

    def _cue_reason(self, cue: Cue, newly_covered: list[str]) -> str:
        when = cue.when
        if when.kind is CueKind.AFTER_TASK:
            now = " (covered this turn)" if when.task in newly_covered else ""
            return f"cue {cue.id}: task {when.task} has been covered{now}"
        if when.kind is CueKind.AFTER_SECONDS:
            return f"cue {cue.id}: {when.amount:.0f} s of the role-play have passed"
        if when.kind is CueKind.AFTER_TURNS:
            return f"cue {cue.id}: the candidate has spoken {self.state.turns} times"
        return f"cue {cue.id}: due at the start"

    def _resolution_due(self, turn: CandidateTurn, classified: list[ClassifiedSentence]) -> bool:
        state = self.state
        if state.resolution_given:
            return False
        if turn.time_left is not None and turn.time_left <= RESOLUTION_TIME_LEFT:
            return True
        all_cues_fired = len(state.fired_cues) == len(self._cues)
        substantive = len(content_words(turn.text)) >= 5 and classified[-1].intent is not SentenceIntent.QUESTION
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
