"""Everything the scores rest on, computed once from a conversation: timing, clarity, language, questions,
communication moves, cue pick-up, jargon and task coverage."""

from __future__ import annotations

from dataclasses import dataclass

from oet_desktop.core.assessment.conversation import Conversation, Utterance
from oet_desktop.core.assessment.coverage import Coverage, measure_coverage
from oet_desktop.core.assessment.discourse import (
    AskedQuestion,
    Found,
    Move,
    QuestionType,
    find_moves,
    find_questions,
    is_concern,
)
from oet_desktop.core.assessment.fluency import (
    LONG_PAUSE_S,
    ClarityMeasures,
    FluencyMeasures,
    Pause,
    measure_clarity,
    measure_fluency,
)
from oet_desktop.core.assessment.language import LanguageMeasures, measure_language
from oet_desktop.core.embeddings.embedder import Embedder
from oet_desktop.core.practice.jargon import JargonDetector, JargonUse
from oet_desktop.core.practice.text import content_words

PICKED_UP_BY = (Move.EMPATHY, Move.ACKNOWLEDGEMENT, Move.ELICIT_ICE, Move.RELATE_BACK, Move.SUMMARY)
RETURNED_TO_BY = (Move.EMPATHY, Move.ELICIT_ICE, Move.RELATE_BACK)
"""Moves that pick up a worry voiced earlier than the last patient turn (when they name it)."""


@dataclass(frozen=True)
class CueResponse:
    """A worry or feeling the patient voiced, and the candidate's next utterance."""

    cue: Utterance
    response: Utterance | None
    picked_up: bool


@dataclass(frozen=True)
class JargonInstance:
    """A technical term in one candidate utterance."""

    use: JargonUse
    utterance: Utterance


@dataclass
class Evidence:
    """The measured basis of every score."""

    conversation: Conversation
    fluency: FluencyMeasures | None
    clarity: ClarityMeasures | None
    language: LanguageMeasures
    questions: list[AskedQuestion]
    moves: dict[Move, list[Found]]
    cues: list[CueResponse]
    jargon: list[JargonInstance]
    coverage: Coverage
    candidate_seconds: float
    patient_seconds: float
    interruptions: int

    @property
    def candidate_words(self) -> int:
        """Words the candidate said (fillers left out)."""
        return self.language.words

    @property
    def talk_share(self) -> float | None:
        """The candidate's share of the talking time."""
        total = self.candidate_seconds + self.patient_seconds
        return self.candidate_seconds / total if total else None

    def count(self, kind: QuestionType) -> int:
        """Questions of one kind."""
        return sum(q.kind is kind for q in self.questions)

    def hesitation_pauses(self) -> list[Pause]:
        """Pauses inside a clause or over a second, longest first."""
        if self.fluency is None:
            return []
        return sorted((p for p in self.fluency.pauses if p.mid_clause or p.seconds > LONG_PAUSE_S),
                      key=lambda p: -p.seconds)


def gather_evidence(conversation: Conversation, embedder: Embedder, jargon: JargonDetector) -> Evidence:
    """Compute every measure for a finished role-play."""
    candidate = conversation.candidate
    fluency = measure_fluency(candidate, conversation.candidate_audio) if (
        conversation.has_audio and conversation.candidate_audio is not None) else None
    clarity = measure_clarity(candidate) if conversation.has_audio else None
    moves = find_moves(candidate)
    language = measure_language([u.text for u in candidate], [f.sentence for f in moves[Move.SLANG]])
    cues = _cue_responses(conversation, moves)
    found_jargon = [JargonInstance(use, u) for u in candidate for use in jargon.find(u.text)]
    return Evidence(
        conversation=conversation, fluency=fluency, clarity=clarity, language=language,
        questions=find_questions(candidate), moves=moves, cues=cues, jargon=found_jargon,
        coverage=measure_coverage(conversation.scenario, candidate, embedder),
        candidate_seconds=sum(u.seconds for u in candidate),
        patient_seconds=sum(u.seconds for u in conversation.patient),
        interruptions=sum(1 for e in conversation.events if e.get("kind") == "barge_in"),
    )


def _cue_responses(conversation: Conversation, moves: dict[Move, list[Found]]) -> list[CueResponse]:
    """Each worry the patient voiced and whether the candidate picked it up: in their next turn (any
    acknowledging move), or in any later turn by empathy, a question about it or a reference back that names
    what the patient said (a summary of the plan that repeats a word is not an acknowledgement)."""
    picking = {id(f.utterance): f for move in PICKED_UP_BY for f in moves[move]}
    returning = {id(f.utterance): f for move in RETURNED_TO_BY for f in moves[move]}
    ordered = [u for u in conversation.utterances if u.text.strip()]
    responses = []
    for index, utterance in enumerate(ordered):
        if utterance.speaker != "patient" or utterance.move_kind == "closing" or not is_concern(utterance.text):
            continue
        later = [u for u in ordered[index + 1 :] if u.speaker == "candidate"]
        if not later:
            continue
        worry = content_words(utterance.text) - _GENERIC_FEELINGS
        response = next((u for n, u in enumerate(later) if (n == 0 and id(u) in picking) or (
            id(u) in returning and worry & content_words(returning[id(u)].sentence))), None)
        responses.append(CueResponse(utterance, response or later[0], response is not None))
    return responses


_GENERIC_FEELINGS = frozenset({"worried", "worry", "worries", "worrying", "scared", "afraid", "feel", "feeling",
                               "really", "bit", "quite", "honestly", "just", "sure", "things", "thing"})
