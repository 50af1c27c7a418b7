"""The director with the real embedding model: facts answered when asked, cues in order, jargon queried."""

from __future__ import annotations

from collections import Counter

import pytest
import yaml

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.content.scenario import CLOSING_LINE
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.practice.director import CandidateTurn, Director, DirectorState, MoveKind
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon
from tests.conftest import REPO

pytestmark = pytest.mark.models

LIBRARY = ScenarioLibrary.load([bundled_scenarios_dir()])
FIXTURES = REPO / "tests" / "fixtures"


def _director(engines: EngineSet, scenario_id: str, past_opening: bool = True) -> Director:
    scenario = LIBRARY.get(scenario_id)
    assert scenario is not None
    jargon = JargonDetector.for_scenario(scenario.lay_terms, load_lexicon(), scenario.interlocutor_words)
    director = Director(scenario, engines.embedder(), jargon)
    if past_opening:
        director.decide(CandidateTurn("Hello, I'm Sam, one of the team here.", 5, 295))
    return director


def test_asking_about_a_fact_gets_that_fact_in_at_least_90_percent_of_paraphrases(engines: EngineSet) -> None:
    questions = yaml.safe_load((FIXTURES / "fact_questions.yaml").read_text())
    assert len(questions) >= 60
    assert len({q["scenario"] for q in questions}) >= 10
    hits: Counter[bool] = Counter()
    directors: dict[str, Director] = {}
    for item in questions:
        if item["scenario"] not in directors:
            directors[item["scenario"]] = _director(engines, item["scenario"])
        director = directors[item["scenario"]]
        director.state = DirectorState(turns=1, fired_cues=["opening"])  # a fresh conversation, past the opening
        move = director.decide(CandidateTurn(item["question"], 30, 200))
        hit = move.kind is MoveKind.FACT and item["fact"] in (move.ref or "").split(", ")
        if hit:
            fact = next(f for f in director.scenario.interlocutor.facts if f.id == item["fact"])
            assert fact.say in move.say  # the reply carries the fact
        hits[hit] += 1
    rate = hits[True] / len(questions)
    print(f"fact questions answered with the right fact: {hits[True]}/{len(questions)} = {rate:.1%}")
    assert rate >= 0.90


def test_explanations_and_reassurance_never_release_a_fact(engines: EngineSet) -> None:
    statements = yaml.safe_load((FIXTURES / "non_questions.yaml").read_text())
    released = [s["utterance"] for s in statements
                if _director(engines, s["scenario"]).decide(CandidateTurn(s["utterance"], 30, 200)).kind
                is MoveKind.FACT]
    assert released == []


def test_cues_fire_once_in_order_when_due(engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver", past_opening=False)
    card = director.scenario.interlocutor
    assert [c.when.kind for c in card.cues] == ["start", "after_task", "after_turns"]
    task = next(t for t in director.scenario.candidate.tasks if t.id == card.cues[1].when.task)
    turns_needed = int(card.cues[2].when.amount)
    script = ["Hello Mr Qureshi, I'm Sam, the practice nurse.", task.probes[0]]
    script += ["I understand, that's a very natural way to feel."] * (turns_needed + 2)
    fired: list[tuple[int, str | None]] = []
    for turn, text in enumerate(script, start=1):
        move = director.decide(CandidateTurn(text, 10.0 * turn, 300 - 10.0 * turn))
        if move.kind is MoveKind.CUE:
            fired.append((turn, move.ref))
    assert [ref for _, ref in fired] == [c.id for c in card.cues]  # each once, in the card's order
    assert fired[0][0] == 1  # the opening answers the first turn
    assert fired[1][0] == 2  # the objection follows the task being covered
    assert fired[2][0] >= turns_needed  # not before its turn count


def test_a_timed_cue_waits_for_its_time(engines: EngineSet) -> None:
    scenario, index = next((s, i) for s in LIBRARY.scenarios.values()
                           for i, c in enumerate(s.interlocutor.cues) if c.when.kind == "after_seconds")
    director = _director(engines, scenario.id, past_opening=False)
    cues = scenario.interlocutor.cues
    director.state = DirectorState(turns=index, fired_cues=[c.id for c in cues[:index]])  # earlier cues fired
    due_at = cues[index].when.amount
    early = director.decide(CandidateTurn("I see, thank you for telling me that.", due_at - 20, 100))
    assert early.kind is not MoveKind.CUE
    late = director.decide(CandidateTurn("I see, thank you for telling me that.", due_at + 1, 100))
    assert late.kind is MoveKind.CUE
    assert late.ref == cues[index].id


def test_unexplained_jargon_gets_a_clarification_question_once(engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver")
    move = director.decide(CandidateTurn("Your HbA1c shows we need to start basal insulin.", 30, 250))
    assert move.kind is MoveKind.CLARIFY
    assert move.ref == "HbA1c"  # the first unexplained term, not "basal insulin"
    assert "HbA1c" in move.say  # the patient names the term it did not understand
    again = director.decide(CandidateTurn("Your HbA1c is high.", 40, 240))
    assert not (again.kind is MoveKind.CLARIFY and again.ref == move.ref)


def test_jargon_with_a_lay_explanation_is_not_queried(engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver")
    move = director.decide(CandidateTurn(
        "Your HbA1c, which means your average blood sugar over the last three months, is quite high.", 30, 250))
    assert move.kind is not MoveKind.CLARIFY


def test_saying_goodbye_ends_with_the_resolution_and_the_closing_line(engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver")
    move = director.decide(CandidateTurn("Thank you for your time. Take care, goodbye.", 200, 100))
    assert move.kind is MoveKind.CLOSING
    assert move.say.endswith(CLOSING_LINE)
    assert director.scenario.interlocutor.resolution.say in move.say


def test_a_fact_asked_again_is_referred_back_to_never_repeated_word_for_word(engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver")
    work = next(f for f in director.scenario.interlocutor.facts if f.id == "job")
    first = director.decide(CandidateTurn("What do you do for work?", 20, 280))
    again = director.decide(CandidateTurn("Sorry, what was your job again?", 60, 240))
    assert first.kind is MoveKind.FACT
    assert work.say in first.say
    assert again.kind is MoveKind.FACT
    assert work.say not in again.say
    assert "already" in again.reason


def test_teach_back_summary_reassurance_and_safety_netting_get_reactions_not_facts(engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver")
    explain = director.decide(CandidateTurn(
        "The insulin goes in with a tiny needle just under the skin, once a day at bedtime.", 30, 270))
    assert explain.kind is not MoveKind.FACT
    teach = director.decide(CandidateTurn(
        "Just so I know I've explained it clearly, could you tell me how you'll take it at home?", 60, 240))
    assert teach.kind is MoveKind.TEACH_BACK
    assert teach.say.startswith("So, if I've got it right, ")  # the patient's own version of the explanation
    assert "a tiny needle just under the skin" in teach.say
    assert "once a day at bedtime" in teach.say
    summary = director.decide(CandidateTurn("So you drive a van and you're worried about your licence. Is that "
                                            "right?", 90, 210))
    assert summary.kind is MoveKind.CONFIRM
    director.state.fired_cues = [c.id for c in director.scenario.interlocutor.cues]
    director.state.resolution_given = True
    comfort = director.decide(CandidateTurn("Please don't worry, most people find it much easier than they "
                                            "expected.", 120, 180))
    assert comfort.kind is MoveKind.REASSURED
    safety = director.decide(CandidateTurn("If you feel shaky or sweaty, have something sugary and call us.",
                                           150, 150))
    assert safety.kind is MoveKind.ACKNOWLEDGE


def test_a_cue_waiting_for_an_explaining_task_does_not_fire_on_a_question_about_its_topic(
        engines: EngineSet) -> None:
    director = _director(engines, "nursing-insulin-start-driver")
    cue = director.scenario.interlocutor.cues[1]
    task = next(t for t in director.scenario.candidate.tasks if t.id == cue.when.task)
    assert task.text.lower().startswith(("explain", "reassure", "advise", "discuss", "recommend", "tell"))
    asked = director.decide(CandidateTurn("What do you know about insulin injections?", 30, 270))
    assert not (asked.kind is MoveKind.CUE and asked.ref == cue.id)
    told = director.decide(CandidateTurn(task.probes[0], 60, 240))
    assert told.kind is MoveKind.CUE
    assert told.ref == cue.id
