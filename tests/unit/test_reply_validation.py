"""Each rule of the reply validator, with a bad model output; and the realiser's fallbacks."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.errors import EngineError
from oet_desktop.core.llm.scripted import ScriptedLanguageModel
from oet_desktop.core.llm.types import ChatMessage, GenerationSettings
from oet_desktop.core.practice.director import Move, MoveKind
from oet_desktop.core.practice.realiser import PHRASING, Line, Realisation, Realiser, phrasing_for
from oet_desktop.core.practice.validation import ReplyContext, ReplyValidator

SCENARIO = ScenarioLibrary.load([bundled_scenarios_dir()]).get("nursing-insulin-start-driver")
assert SCENARIO is not None
CARD = " ".join([SCENARIO.interlocutor.brief, *(f.say for f in SCENARIO.interlocutor.facts)])
VALIDATOR = ReplyValidator(CARD, SCENARIO.interlocutor.name)
HISTORY = [Line("candidate", "It's one injection a day at bedtime, at home.")]
ACK = Move(MoveKind.ACKNOWLEDGE, "All right.", "Acknowledge briefly.", "test")


@pytest.mark.parametrize(
    ("reply", "rule"),
    [
        ("As an AI language model, I cannot feel nervous.", "ai-talk"),
        ("You should check your sugar every morning.", "advice"),
        ("I recommend you take it with food.", "advice"),
        ("As your nurse, I will explain the pen.", "clinician"),
        ("Nurse: Let me show you the pen.", "speaker-label"),
        ("I have been on insulin for 12 years.", "new-fact"),
        ("My wife Priscilla will help me.", "new-fact"),
    ],
)
def test_each_rule_rejects_a_bad_sentence(reply: str, rule: str) -> None:
    problem = VALIDATOR.check_sentence(reply, "")
    assert problem is not None
    assert problem.rule == rule


def test_whole_reply_rules() -> None:
    too_many = ["Okay.", "Right.", "I see.", "Fine."]
    assert VALIDATOR.check_reply(too_many, "", ()).rule == "too-long"
    assert VALIDATOR.check_reply([" "], "", ()).rule == "empty"
    assert VALIDATOR.check_reply(["I see.", "I see."], "", ()).rule == "repetition"
    fact = SCENARIO.interlocutor.facts[0].say
    assert VALIDATOR.check_reply(["I'm fine, thanks."], "", (fact,)).rule == "fact-dropped"
    assert VALIDATOR.check_reply([fact], "", (fact,)) is None


def test_an_in_character_reply_passes_and_its_own_label_is_removed() -> None:
    name = SCENARIO.interlocutor.name
    assert VALIDATOR.strip_label(f"{name}: Right, at bedtime then.") == "Right, at bedtime then."
    assert VALIDATOR.check_sentence("Right, at bedtime then.", "") is None


def _realise(model: object, move: Move = ACK) -> tuple[list[str], Realisation]:
    realiser = Realiser(SCENARIO, model, PHRASING["all"], first_sentence_deadline_s=0.5)  # type: ignore[arg-type]
    result = Realisation(move)
    return list(realiser.realise(move, HISTORY, result)), result


def test_a_bad_model_reply_falls_back_to_the_scripted_line() -> None:
    sentences, result = _realise(ScriptedLanguageModel(["As an AI, I think that sounds fine."]))
    assert sentences == ["All right."]
    assert result.source == "scripted"
    assert result.rejection is not None
    assert result.rejection.startswith("ai-talk")


def test_a_good_model_reply_is_used_sentence_by_sentence() -> None:
    sentences, result = _realise(ScriptedLanguageModel(["Right, at bedtime then. That's easier."]))
    assert sentences == ["Right, at bedtime then.", "That's easier."]
    assert result.source == "llm"


class SlowModel(ScriptedLanguageModel):
    def stream_chat(self, messages: list[ChatMessage], settings: GenerationSettings) -> Iterator[str]:
        time.sleep(1.5)  # a long prompt evaluation
        yield from super().stream_chat(messages, settings)


class BrokenModel(ScriptedLanguageModel):
    def stream_chat(self, messages: list[ChatMessage], settings: GenerationSettings) -> Iterator[str]:
        raise EngineError("The language model failed.", "Try again.")
        yield ""


def test_a_slow_model_misses_its_deadline_and_the_scripted_line_plays_at_once() -> None:
    began = time.perf_counter()
    sentences, result = _realise(SlowModel(["Right, at bedtime then."]))
    assert time.perf_counter() - began < 1.0
    assert sentences == ["All right."]
    assert result.rejection is not None
    assert result.rejection.startswith("deadline")


def test_a_model_error_falls_back_to_the_scripted_line() -> None:
    sentences, result = _realise(BrokenModel([]))
    assert sentences == ["All right."]
    assert result.rejection == "model error: The language model failed."


def test_with_the_small_default_model_auto_keeps_the_cards_lines() -> None:
    assert phrasing_for("auto", small_model=True) == frozenset()
    assert MoveKind.FACT in phrasing_for("auto", small_model=False)
    assert MoveKind.CLOSING not in phrasing_for("all", small_model=False)
    model = ScriptedLanguageModel(["Something else entirely."])
    realiser = Realiser(SCENARIO, model, phrasing_for("auto", small_model=True))
    assert list(realiser.realise(ACK, HISTORY)) == ["All right."]
    assert model.received == []  # the model was not even asked


FACT = SCENARIO.interlocutor.facts[0]
FACT_MOVE = Move(MoveKind.FACT, FACT.say, "Answer with what your card says.", "test", FACT.id, (FACT.say,))


def test_a_phrased_answer_that_drops_the_fact_is_replaced_by_the_cards_line() -> None:
    sentences, result = _realise(ScriptedLanguageModel(["Oh, I'd rather not say, really."]), FACT_MOVE)
    assert " ".join(sentences) == FACT.say
    assert result.source == "scripted"
    assert result.rejection is not None
    assert result.rejection.startswith("fact-dropped")


def test_a_phrased_answer_that_keeps_the_fact_is_used_and_a_missing_full_stop_is_forgiven() -> None:
    sentences, result = _realise(ScriptedLanguageModel([FACT.say.rstrip(".")]), FACT_MOVE)
    assert result.source == "llm"
    assert " ".join(sentences).rstrip(".") == FACT.say.rstrip(".")


# --- The role-play as a whole: no repeats, no swapped persons, and each move's intent kept. ---------------------

OWN_LINES = tuple([*(f.say for f in SCENARIO.interlocutor.facts), *(c.say for c in SCENARIO.interlocutor.cues),
                   SCENARIO.interlocutor.resolution.say])
CARD_VALIDATOR = ReplyValidator(CARD, SCENARIO.interlocutor.name, own_lines=OWN_LINES)
KNOWLEDGE = next(f for f in SCENARIO.interlocutor.facts if f.id == "knowledge")
CUE = next(c for c in SCENARIO.interlocutor.cues if c.id == "objection-tablets")
CUE_MOVE = Move(MoveKind.CUE, CUE.say, CUE.intent, "test", CUE.id)
RESOLUTION = SCENARIO.interlocutor.resolution
RESOLUTION_MOVE = Move(MoveKind.RESOLUTION, RESOLUTION.say, RESOLUTION.intent, "test", "resolution")
KNOWLEDGE_MOVE = Move(MoveKind.FACT, KNOWLEDGE.say, "Answer: " + KNOWLEDGE.say, "test", KNOWLEDGE.id,
                      (KNOWLEDGE.say,))
SAID = ReplyContext("Hello. I'm sorry, I'm too friendly. What do you know about insulin?",
                    ("Hello.", "I'm sorry, I'm too friendly."), "What do you know about insulin?")


@pytest.mark.parametrize("reply", ["I'm sorry, I'm too friendly.", "i'm SORRY - i'm too friendly!",
                                   "Sorry, I'm too friendly."])
def test_a_line_said_before_in_the_role_play_is_a_repetition(reply: str) -> None:
    problem = CARD_VALIDATOR.check_in_context(reply, ACK, SAID)
    assert problem is not None
    assert problem.rule == "repetition"


def test_a_line_that_mostly_repeats_an_earlier_reply_is_a_repetition() -> None:
    context = ReplyContext(KNOWLEDGE.say, (KNOWLEDGE.say,), "")
    problem = CARD_VALIDATOR.check_in_context("So my uncle went on insulin and lost his leg.", ACK, context)
    assert problem is not None
    assert problem.rule == "repetition"
    assert CARD_VALIDATOR.check_in_context("Right, I see what you mean.", ACK, context) is None


@pytest.mark.parametrize("reply", ["Your uncle went on insulin and a year later they took his leg off.",
                                   "You drive a delivery van, ten-hour shifts."])
def test_a_line_that_swaps_who_is_who_is_rejected(reply: str) -> None:
    move = Move(MoveKind.FACT, reply.replace("Your", "My").replace("You", "I"), "Answer.", "test", None,
                (reply.replace("Your", "My").replace("You", "I"),))
    problem = CARD_VALIDATOR.check_sentence(reply, "") or CARD_VALIDATOR.check_in_context(reply, move, ReplyContext())
    assert problem is not None
    assert problem.rule == "person-swap"


def test_the_patient_keeps_to_my_and_may_still_say_your_of_the_clinicians_things() -> None:
    assert CARD_VALIDATOR.check_sentence("My uncle went on insulin, you see.", "") is None
    assert CARD_VALIDATOR.check_sentence("Thanks for your help.", "") is None


def test_a_cue_must_keep_its_content() -> None:
    problem = CARD_VALIDATOR.check_reply(["I'm not sure about that."], "", (), CUE_MOVE, ReplyContext())
    assert problem is not None
    assert problem.rule == "intent-dropped"
    assert CARD_VALIDATOR.check_reply(["Can't I have three more months?", "I'll cut out the sugar and take every "
                                       "tablet."], "", (), CUE_MOVE, ReplyContext()) is None


def test_the_resolution_must_carry_the_agreement() -> None:
    refusal = ["I won't have one injection at night at home.", "And I won't contact the DVLA this week."]
    problem = CARD_VALIDATOR.check_reply(refusal, "", (), RESOLUTION_MOVE, ReplyContext())
    assert problem is not None
    assert problem.rule == "no-agreement"
    dropped = CARD_VALIDATOR.check_reply(["OK, fine."], "", (), RESOLUTION_MOVE, ReplyContext())
    assert dropped is not None
    assert dropped.rule == "intent-dropped"
    agreed = ["OK, one injection at night at home, I'll give it a go.", "I'll contact the DVLA this week too."]
    assert CARD_VALIDATOR.check_reply(agreed, "", (), RESOLUTION_MOVE, ReplyContext()) is None


@pytest.mark.parametrize("kind", [MoveKind.ACKNOWLEDGE, MoveKind.REASSURED, MoveKind.CONFIRM, MoveKind.UNKNOWN])
def test_a_free_move_must_not_answer_with_a_fact(kind: MoveKind) -> None:
    move = Move(kind, "All right.", "React briefly; add no facts.", "test")
    context = ReplyContext("It's one injection at bedtime.", (), "It's one injection at bedtime.")
    problem = CARD_VALIDATOR.check_in_context("My uncle went on insulin and they took his leg.", move, context)
    assert problem is not None
    assert problem.rule == "fact-leak"
    assert CARD_VALIDATOR.check_in_context("Right, at bedtime then.", move, context) is None


def test_a_fact_whose_reply_is_complete_passes_every_rule() -> None:
    assert CARD_VALIDATOR.check_reply([KNOWLEDGE.say], "", KNOWLEDGE_MOVE.must_carry, KNOWLEDGE_MOVE,
                                      ReplyContext()) is None


def _realise_after(model: object, move: Move, history: list[Line]) -> tuple[list[str], Realisation]:
    realiser = Realiser(SCENARIO, model, PHRASING["all"], first_sentence_deadline_s=0.5)  # type: ignore[arg-type]
    result = Realisation(move)
    return list(realiser.realise(move, history, result)), result


def test_the_realiser_rejects_a_line_said_earlier_in_the_role_play_however_long_ago() -> None:
    history = [Line("candidate", "Hello."), Line("interlocutor", "I'm sorry, I'm too friendly."),
               *[Line(who, f"Line number {n}.") for n in range(6) for who in ("candidate", "interlocutor")],
               Line("candidate", "It's one injection a day at bedtime, at home.")]
    sentences, result = _realise_after(ScriptedLanguageModel(["I'm sorry, I'm too friendly."]), ACK, history)
    assert sentences == ["All right."]
    assert result.rejection is not None
    assert result.rejection.startswith("repetition")


def test_the_realiser_rejects_your_uncle_for_my_uncle() -> None:
    model = ScriptedLanguageModel(["Your uncle went on insulin and a year later they took his leg off."])
    sentences, result = _realise_after(model, KNOWLEDGE_MOVE, HISTORY)
    assert " ".join(sentences) == KNOWLEDGE.say
    assert result.rejection is not None
    assert result.rejection.startswith("person-swap")


def test_the_realiser_replaces_a_cue_that_loses_its_content() -> None:
    sentences, result = _realise_after(ScriptedLanguageModel(["I'll ask you about it."]), CUE_MOVE, HISTORY)
    assert " ".join(sentences) == CUE.say
    assert result.rejection is not None
    assert result.rejection.startswith("intent-dropped")


def test_the_realiser_replaces_an_acknowledgement_that_tells_a_fact() -> None:
    model = ScriptedLanguageModel(["My uncle went on insulin and lost his leg. I'm sorry."])
    sentences, result = _realise_after(model, ACK, HISTORY)
    assert sentences == ["All right."]
    assert result.rejection is not None
    assert result.rejection.startswith("fact-leak")


def test_the_benchmark_names_the_phrasing_and_counts_the_model_lines_said_and_replaced() -> None:
    from oet_desktop.bench.practice import phrasing_summary
    from oet_desktop.core.practice.realiser import phrasing_name
    from oet_desktop.core.practice.record import TurnRecord

    def turn(kind: str, source: str, rejection: str | None) -> TurnRecord:
        return TurnRecord(0, "x", 0.0, 1.0, [], kind, None, "test", "y", source, rejection, 1.0, 1.0)

    turns = [turn("fact", "llm", None), turn("cue", "scripted", "repetition: y"),
             turn("acknowledge", "scripted", "deadline: no sentence"), turn("closing", "scripted", None)]
    assert phrasing_name(PHRASING["all"]) == "all"
    assert phrasing_name(phrasing_for("auto", small_model=True)) == "scripted"
    summary = phrasing_summary(turns, PHRASING["all"])
    assert summary == {"asked": 3, "accepted": 1, "replaced": 2, "accepted_share": 0.333,
                       "replaced_because": {"deadline": 1, "repetition": 1}}
    assert phrasing_summary(turns, PHRASING["scripted"])["accepted_share"] is None
