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
from oet_desktop.core.practice.validation import ReplyValidator

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
