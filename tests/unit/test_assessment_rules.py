"""Fast tests of the assessment's rules: question types, communication moves, MTLD, syllables, the estimate,
the narrative check and progress."""

from __future__ import annotations

import dataclasses

import pytest
from lexicalrichness import LexicalRichness

from oet_desktop.core.assessment.conversation import Utterance, from_record
from oet_desktop.core.assessment.criteria import ALL_CRITERIA, Criterion
from oet_desktop.core.assessment.discourse import (
    Move,
    QuestionType,
    find_moves,
    find_questions,
    is_concern,
    question_type,
)
from oet_desktop.core.assessment.estimate import estimate, grade
from oet_desktop.core.assessment.fluency import _is_mid_clause, syllables
from oet_desktop.core.assessment.language import measure_language, mtld, repetitions, tokens
from oet_desktop.core.assessment.narrative import check_narrative, template_narrative
from oet_desktop.core.assessment.progress import build_progress
from oet_desktop.core.assessment.report import CriterionResult, FeedbackReport
from oet_desktop.core.assessment.scoring import half_up
from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.speech.stt import Word
from tests.report_samples import sample_feedback_report, sample_report_not_assessed


@pytest.mark.parametrize(("sentence", "kind"), [
    ("Can you tell me how you've been managing at home?", QuestionType.OPEN),
    ("What worries you most about the tablets?", QuestionType.OPEN),
    ("First, what do you understand about your results so far?", QuestionType.OPEN),
    ("Do you smoke?", QuestionType.CLOSED),
    ("Is that right?", QuestionType.CLOSED),
    ("Is that all right?", QuestionType.CLOSED),
    ("Do you smoke and do you drink alcohol?", QuestionType.COMPOUND),
    ("How often do you eat out, and how much do you drink?", QuestionType.COMPOUND),
    ("Before I go on, could you tell me about any heart problems in your family?", QuestionType.OPEN),
    ("You don't smoke, do you?", QuestionType.LEADING),
    ("I assume you've been taking them every day?", QuestionType.LEADING),
    ("You're taking it with food, right?", QuestionType.LEADING),
    ("The tablet thins the blood.", None),
    ("What this means is that the bag drains better.", None),
])
def test_question_types(sentence: str, kind: QuestionType | None) -> None:
    assert question_type(sentence) is kind


def _said(*texts: str) -> list[Utterance]:
    return [Utterance("candidate", t, i * 10.0, i * 10.0 + 5, i) for i, t in enumerate(texts)]


def test_three_questions_in_one_turn_count_as_one_compound_question() -> None:
    asked = find_questions(_said("Do you drink? How much? Do you smoke?", "What happened next?"))
    assert [q.kind for q in asked] == [QuestionType.COMPOUND, QuestionType.OPEN]


@pytest.mark.parametrize(("text", "move"), [
    ("Good morning, Mr Clarke. My name's Sam, and I'm one of the nurses here.", Move.INTRODUCTION),
    ("I'm Dr. Patel, one of the GPs.", Move.INTRODUCTION),
    ("I'd like to talk with you about looking after the catheter.", Move.PURPOSE),
    ("That must be really hard for you.", Move.EMPATHY),
    ("It sounds as if you're worried about the smell.", Move.RELATE_BACK),
    ("Now I'd like to talk about what to watch out for.", Move.SIGNPOST),
    ("So, if I've understood correctly, you're worried about the bag showing.", Move.SUMMARY),
    ("When you say a bit, how much do you mean?", Move.CLARIFY),
    ("What has the hospital told you so far?", Move.PRIOR_KNOWLEDGE),
    ("Does that make sense so far?", Move.CHUNK_CHECK),
    ("Could you tell me in your own words how you'll empty the bag?", Move.TEACH_BACK),
    ("Do you understand?", Move.DO_YOU_UNDERSTAND),
    ("Is there anything else you'd like to know?", Move.ANYTHING_ELSE),
    ("That's not relevant.", Move.JUDGEMENT),
    ("You must take it every day.", Move.DIRECTIVE),
])
def test_moves(text: str, move: Move) -> None:
    assert find_moves(_said(text))[move], f"{move} not found in {text!r}"


def test_abbreviations_do_not_split_sentences() -> None:
    found = find_moves(_said("Hello, Mrs. Harper. I'm Dr. Patel, one of the GPs."))
    assert [f.sentence for f in found[Move.INTRODUCTION]] == ["I'm Dr. Patel, one of the GPs."]


@pytest.mark.parametrize(("text", "concern"), [
    ("I'm frightened people will smell it.", True), ("I really don't want aching legs like Pat.", True),
    ("Honestly, I'd rather not.", True), ("I have a cup of tea at breakfast.", False),
])
def test_patient_cues(text: str, concern: bool) -> None:
    assert is_concern(text) is concern


def test_mtld_matches_the_reference_implementation() -> None:
    text = ("I think you should take the tablets every morning with food, and if you feel dizzy please call us. "
            "The tablets help your heart pump and they lower your blood pressure over time, so it is worth "
            "taking them even on days when you feel well. We will check your blood pressure again next week "
            "and see how you are getting on with them.")
    words = tokens(text)
    reference = LexicalRichness(" ".join(words), preprocessor=None, tokenizer=str.split).mtld(threshold=0.72)
    assert mtld(words) == pytest.approx(reference, rel=1e-9)
    assert mtld(["the"] * 5) is None


def test_repeated_short_vocabulary_has_low_diversity() -> None:
    varied = measure_language(["Keeping the bag below your bladder helps it drain, and washing daily prevents "
                               "infection, which is the commonest problem we see with catheters at night."], [])
    repeated = measure_language(["You take the tablet. You take the tablet and you take the tablet every day. "
                                 "You take it, you take it, the tablet is good, good, good."], [])
    assert varied.mtld is not None
    assert repeated.mtld is not None
    assert varied.mtld > 2 * repeated.mtld


def test_repetitions_are_found_but_emphasis_is_not() -> None:
    assert repetitions("I, I think the the bag is fine") == ["i, i", "the the"]
    assert repetitions("It is very very important") == []


def test_syllables() -> None:
    words = ("tablet", "medication", "the", "anticoagulant", "going", "every", "cholesterol", "tendinopathy")
    assert [syllables(w) for w in words] == [2, 4, 1, 6, 2, 2, 4, 5]


def _results(*scores: int | None, confidence: str = "high") -> list[CriterionResult]:
    return [CriterionResult(c, s, c.maximum, confidence if s is not None else "none", "", ())
            for c, s in zip(ALL_CRITERIA, scores, strict=True)]


def test_estimate_anchors_b_at_the_rule_of_thumb() -> None:
    at_b = estimate(_results(5, 5, 5, 5, 2, 2, 2, 2, 2))
    assert at_b is not None
    assert at_b.score == 350
    assert at_b.grade == "B"
    assert at_b.reaches_b is None
    top = estimate(_results(6, 6, 6, 6, 3, 3, 3, 3, 3))
    assert top is not None
    assert top.score == 500
    assert top.reaches_b is True
    low = estimate(_results(2, 2, 2, 2, 1, 0, 1, 0, 0, confidence="low"))
    assert low is not None
    assert low.reaches_b is False
    assert low.high - low.low == 140
    assert "estimate" in low.disclaimer.lower()
    assert estimate(_results(None, 5, 5, 5, 2, 2, 2, 2, 2)) is None


@pytest.mark.parametrize(("score", "letter"), [(500, "A"), (450, "A"), (440, "B"), (350, "B"), (340, "C+"),
                                                (300, "C+"), (290, "C"), (100, "D"), (90, "E")])
def test_grades(score: int, letter: str) -> None:
    assert grade(score) == letter


def test_template_narrative_targets_the_weakest_criterion() -> None:
    report = sample_feedback_report()
    summary, steps = template_narrative(report.criteria, report.measures)
    weakest = min((c for c in report.criteria if c.score is not None), key=lambda c: (c.score or 0) / c.maximum)
    assert weakest.label in summary
    assert len(steps) == 3


def test_narrative_check_rejects_invented_quotes() -> None:
    report = sample_feedback_report()
    real = report.transcript[0].text.split(".")[0]
    good = (f"SUMMARY: You opened warmly with \"{real}\" and kept a calm tone throughout the role-play.\n"
            "STEP 1: Ask one question at a time.\nSTEP 2: Summarise what the patient said.\n"
            "STEP 3: Check understanding with teach-back.")
    assert check_narrative(good, report).ok
    invented = good.replace(real, "I will cure you by Tuesday")
    result = check_narrative(invented, report)
    assert not result.ok
    assert "never said" in result.problem
    assert not check_narrative("SUMMARY: Fine.\nSTEP 1: Practise more often please.", report).ok


def _report_at(day: int, scores: dict[Criterion, int | None], scenario: str) -> FeedbackReport:
    base = sample_feedback_report()
    criteria = [dataclasses.replace(c, score=scores[c.criterion]) for c in base.criteria]
    return dataclasses.replace(base, session_id=f"s{day}", taken_at=f"2026-11-{day:02d}T10:00:00+00:00",
                               scenario_id=scenario, criteria=criteria, profession="Nursing",
                               estimate=estimate(criteria))


def test_progress_trends_weakest_readiness_and_next_scenario() -> None:
    scenarios = list(ScenarioLibrary.load([bundled_scenarios_dir()]).scenarios.values())
    early = dict.fromkeys(ALL_CRITERIA, 4) | {c: 1 for c in ALL_CRITERIA if not c.linguistic}
    later = dict.fromkeys(ALL_CRITERIA, 5) | {c: 2 for c in ALL_CRITERIA if not c.linguistic}
    later[Criterion.RELATIONSHIP] = 1
    reports = [_report_at(1, early, "nursing-catheter-care-home"), _report_at(3, later, "nursing-falls-ed-daughter"),
               _report_at(2, later, "nursing-child-asthma-inhalers")]
    progress = build_progress(reports, scenarios)
    assert [s.session_id for s in progress.sessions] == ["s1", "s2", "s3"]
    fluency = next(t for t in progress.trends if t.criterion is Criterion.FLUENCY)
    assert fluency.direction == "improving"
    assert progress.weakest[0] is Criterion.RELATIONSHIP
    assert not progress.readiness.ready
    assert Criterion.RELATIONSHIP in progress.readiness.criteria_below_b
    recommendation = progress.recommendation
    assert recommendation is not None
    assert recommendation.scenario_id.startswith("nursing-")
    assert recommendation.scenario_id not in {r.scenario_id for r in reports}
    assert "Relationship" in recommendation.reason
    ready = build_progress([_report_at(d, dict.fromkeys(ALL_CRITERIA, 6) | {c: 3 for c in ALL_CRITERIA
                                                                          if not c.linguistic}, "x")
                            for d in (1, 2, 3)], scenarios)
    assert ready.readiness.ready


def test_progress_with_no_sessions_says_so() -> None:
    progress = build_progress([], [])
    assert not progress.sessions
    assert not progress.readiness.ready
    assert progress.notes


@pytest.mark.parametrize("sentence", ["How are you?", "Good morning, how are you?", "Why is that?",
                                      "Where is it?"])
def test_ordinary_questions_are_not_leading(sentence: str) -> None:
    assert question_type(sentence) in (QuestionType.OPEN, QuestionType.CLOSED)


def test_instructions_are_not_questions() -> None:
    turn = _said("Do not take an extra dose. Any bleeding from the gums, call us. Should you feel dizzy, sit down.")
    assert find_questions(turn) == []


def test_correct_grammar_is_not_a_slip() -> None:
    fine = measure_language(["How long does it take? Does he have a cough? What worries you is normal. "
                             "The tablet I gave you has iron in it."], [])
    assert fine.errors == ()
    slips = measure_language(["You must to take it. He don't like it, and they is fine."], [])
    assert {kind for kind, _ in slips.errors} == {"modal + to", "third person without -s", "plural subject + is/was"}


def test_repetitions_stay_within_a_sentence() -> None:
    assert repetitions("I will see you. You can call me.") == []
    assert repetitions("The... the bag is, is fine.") == ["the the", "is, is"]


def test_halves_round_up() -> None:
    assert [half_up(v) for v in (4.5, 5.5, 4.49, 0.5)] == [5, 6, 4, 1]


def _words(*pieces: str) -> tuple[Word, ...]:
    return tuple(Word(text, i * 0.5, i * 0.5 + 0.4, 0.9) for i, text in enumerate(pieces))


@pytest.mark.parametrize(("pieces", "before", "mid"), [
    (("I", "will", "give", "you", "the", "tablets."), 4, True),  # after "the"
    (("Please", "use", "it.", "Next,", "the", "spacer."), 2, False),  # after a full sentence
    (("Nice", "to", "meet", "you.", "How", "are"), 3, False),
    (("so", "um,", "you", "must"), 1, True),  # after a filler
    (("the", "bag,", "the", "bag"), 1, True),  # a repeated word follows
    (("rest", "helps,", "but", "the", "tendon.", "Gets", "weaker."), 4, True),  # a clause cut into fragments
    (("and", "no", "hills.", "Sprints.", "Okay."), 2, True),  # a one-word "sentence" follows
    (("you", "keep", "it", "dry", "because", "water"), 3, False),  # a clause starter follows
])
def test_pause_placement(pieces: tuple[str, ...], before: int, mid: bool) -> None:
    assert _is_mid_clause(_words(*pieces), before) is mid


def test_after_a_barge_in_only_the_heard_reply_counts(tmp_path) -> None:
    from oet_desktop.core.practice.record import SessionRecord, TurnRecord

    scenario = ScenarioLibrary.load([bundled_scenarios_dir()]).get("nursing-catheter-care-home")
    assert scenario is not None
    record = SessionRecord(scenario.id, "practice", "barge_in", {})
    record.turns.append(TurnRecord(0, "Hello, I'm Sam, one of the nurses.", 0.5, 3.0, [], "cue", None, "",
                                   "Hello. I'm frightened people will smell it, and I hate this bag.", "scripted",
                                   None, 3.8, 5.0, heard_seconds=1.2, heard_text="Hello. I'm…"))
    conversation = from_record(record, scenario, "s1")
    patient = conversation.patient[0]
    assert patient.text == "Hello. I'm…"
    assert patient.end == pytest.approx(5.0)
    assert not is_concern(patient.text)


def test_a_narrative_about_criteria_not_assessed_is_rejected() -> None:
    report = sample_report_not_assessed()
    missing = next(c for c in report.criteria if c.score is None)
    steps = ("\nSTEP 1: Ask one question at a time.\nSTEP 2: Summarise what the patient said.\n"
             "STEP 3: Use teach-back at the end.")
    text = f"SUMMARY: Your {missing.label.split('. ')[-1].lower()} was excellent throughout the whole role-play.{steps}"
    result = check_narrative(text, report)
    assert not result.ok
    assert "not assessed" in result.problem
    single = check_narrative("SUMMARY: You told the patient 'I will cure you by Tuesday' in the middle of the "
                             f"role-play, which overpromised.{steps}", sample_feedback_report())
    assert not single.ok


def test_an_all_strong_role_play_is_not_told_it_was_held_back() -> None:
    report = sample_feedback_report()
    strong = [dataclasses.replace(c, score=c.maximum, indicators=tuple(dataclasses.replace(i, met=True)
                                                                       for i in c.indicators))
              for c in report.criteria]
    summary, _ = template_narrative(strong, report.measures)
    assert "held you back" not in summary
    assert "grade-B level or above" in summary


def _conversation_with(lines: list[tuple[str, str]]):
    from oet_desktop.core.assessment.conversation import CANDIDATE, Conversation
    from oet_desktop.core.assessment.evidence import gather_evidence
    from oet_desktop.core.embeddings.embedder import HashingEmbedder
    from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon

    scenario = ScenarioLibrary.load([bundled_scenarios_dir()]).get("nursing-insulin-start-driver")
    assert scenario is not None
    utterances = [Utterance(who, text, 10.0 * i, 10.0 * i + 5, i, move_kind=None if who == CANDIDATE else "fact")
                  for i, (who, text) in enumerate(lines)]
    conversation = Conversation("s", scenario, utterances)
    return gather_evidence(conversation, HashingEmbedder(), JargonDetector.for_scenario({}, load_lexicon(), ""))


def test_a_worry_acknowledged_a_turn_later_by_naming_it_counts_but_a_plan_summary_does_not() -> None:
    ev = _conversation_with([
        ("candidate", "Hello, I'm Sam. How are you today?"),
        ("patient", "I'm really scared of the needles, to be honest."),
        ("candidate", "Let me first explain what the insulin does."),
        ("patient", "Okay."),
        ("candidate", "I can see the needles really frighten you, and that's completely understandable."),
        ("patient", "I'm worried about my driving licence as well."),
        ("candidate", "Next, the dose."),
        ("patient", "Right."),
        ("candidate", "To sum up: one injection at night, and we'll talk to the licensing agency about your licence."),
    ])
    assert [c.picked_up for c in ev.cues] == [True, False]


def test_an_indicator_the_conversation_gave_no_chance_to_show_counts_as_not_shown() -> None:
    from oet_desktop.core.assessment.scoring import NOT_SHOWN_BAND, appropriateness, perspective

    ev = _conversation_with([("candidate", "Hello, I'm Sam, the nurse. I'd like to talk about the insulin."),
                             ("patient", "Okay."), ("candidate", "It is one injection at night."),
                             ("patient", "Right."), ("candidate", "It goes just under the skin."),
                             ("patient", "I see."), ("candidate", "You can do it at home in the evening.")])
    assert ev.cues == []
    l3 = next(i for i in appropriateness(ev).indicators if i.id == "L3")
    b2 = next(i for i in perspective(ev).indicators if i.id == "B2")
    assert l3.met is False  # band 4: below the B band, so a missing chance never lifts the score
    assert "could not be shown" in l3.note
    assert NOT_SHOWN_BAND < 5
    assert b2.met is False


def test_coming_back_to_finish_a_point_is_not_jumping_about() -> None:
    from oet_desktop.core.assessment.coverage import Coverage

    assert Coverage((), ("a", "b", "a", "c")).jumps == 0  # back to "a" right after one detour
    assert Coverage((), ("a", "b", "c", "a", "d")).jumps == 1  # back to "a" after two other topics
    assert Coverage((), ("a", "b", "c", "a")).jumps == 0  # a closing recap of the first topic
