"""The interlocutor's rules without models: what a candidate sentence does, the patient's own version of an
explanation, jargon in other spellings or slightly misheard (and no false alarms), and lines not repeated."""

from __future__ import annotations

import pytest

from oet_desktop.core.practice.intents import SentenceIntent, classify, classify_sentence, turn_reaction
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon, load_ordinary_words
from oet_desktop.core.practice.reactions import Reaction, ReactionLines, mood
from oet_desktop.core.practice.retelling import retell

S = SentenceIntent


@pytest.mark.parametrize(("sentence", "intent"), [
    ("How many cups of tea do you drink a day?", S.QUESTION),
    ("I'm wondering how many times you're up in the night.", S.QUESTION),
    ("Could you tell me in your own words how you'll use the spacer?", S.TEACH_BACK),
    ("What will you do if she starts wheezing tonight?", S.TEACH_BACK),
    ("Could you walk me through what you'd typically eat on a night shift?", S.QUESTION),
    ("Does that make sense?", S.CHECK),
    ("You take it with food, okay?", S.CHECK),
    ("Have I got that right?", S.SUMMARY_CHECK),
    ("So, to sum up, you live alone and your daughter visits on Sundays.", S.SUMMARY),
    ("If you notice any bleeding from your gums, call us straight away.", S.SAFETY_NET),
    ("Please don't worry, lots of people feel exactly the same.", S.REASSURANCE),
    ("This isn't something you did, and plenty of dogs live long, happy lives.", S.REASSURANCE),
    ("The tablet thins your blood a little so that clots don't form.", S.EXPLANATION),
    ("Hello, Mr Clarke.", S.SOCIAL),
])
def test_what_a_candidate_sentence_does(sentence: str, intent: SentenceIntent) -> None:
    assert classify_sentence(sentence) is intent


def test_checking_ones_own_explanation_makes_the_question_a_teach_back_request() -> None:
    turn = ["Just so I know I haven't confused you.", "How would you explain it to her teacher?"]
    assert turn_reaction(classify(turn)) is S.TEACH_BACK
    # before anything was explained, "in your own words, what is it?" asks for the patient's ideas instead
    early = classify(["In your own words, what is this sore under your foot?"], explained_before=False)
    assert [c.intent for c in early] == [S.QUESTION]


def test_a_summary_closed_with_a_check_asks_for_confirmation() -> None:
    turn = ["So you're up twice a night and the landing light stays off.", "Is that right?"]
    assert turn_reaction(classify(turn)) is S.SUMMARY
    assert turn_reaction(classify(["The cream goes on twice a day.", "Does that make sense?"])) is S.EXPLANATION


def test_the_patients_own_version_turns_the_explanation_round() -> None:
    said = ["Take one puff of the brown inhaler every morning and evening.",
            "If she gets wheezy, give her two puffs of the blue one through the spacer.",
            "Don't stop the brown one when she seems well."]
    own = retell(said, "What will you do if she gets wheezy?")
    assert own.startswith("So, if I've got it right,")
    assert "if she gets wheezy, I give her two puffs of the blue one" in own
    assert "you" not in own.lower().replace("you've", "")  # the clinician's "you" became "I"
    assert retell([], "What will you do?").startswith("I think I've got it")


def _detector(**lay_terms: str) -> JargonDetector:
    return JargonDetector.for_scenario(lay_terms, load_lexicon(), "")


@pytest.mark.parametrize(("utterance", "term", "heard"), [
    ("Your glycemic control has improved a lot.", "glycaemic control", "glycemic control"),
    ("There is some edema in both ankles.", "oedema", "edema"),
    ("She has oedemas in both ankles.", "oedema", "oedemas"),
    ("It's a post-op check.", "post-op", "post-op"),
])
def test_jargon_is_caught_in_another_spelling_or_form(utterance: str, term: str, heard: str) -> None:
    detector = _detector(**{term: "plain words"}) if term == "post-op" else _detector()
    found = detector.first_unexplained(utterance)
    assert found is not None
    assert (found.term, found.heard) == (term, heard)


@pytest.mark.parametrize(("utterance", "term"), [
    ("The vassa constriction is why your fingers go white.", "vasoconstriction"),
    ("We'll check your urine for catons.", "ketones"),
    ("You have diabetic reticulopathy.", "diabetic retinopathy"),
])
def test_jargon_slightly_misheard_by_the_recogniser_is_still_caught(utterance: str, term: str) -> None:
    detector = _detector(vasoconstriction="narrowing of the blood vessels", ketones="harmful substances")
    found = detector.first_unexplained(utterance)
    assert found is not None
    assert found.term == term
    assert found.fuzzy


@pytest.mark.parametrize("utterance", [
    "Call us if it keeps happening, and we'll look at it together.",
    "Who helps you with the shopping and cooking at home?",
    "I can see this has been a really worrying few weeks for you.",
    "The plaster stays on for six weeks, then we'll take another picture.",
    "Keep the foot up on a cushion when you're sitting down.",
])
def test_everyday_sentences_raise_no_false_alarm(utterance: str) -> None:
    assert _detector(callus="hard skin", ketones="acids in the urine").find(utterance) == []


def test_an_unlisted_word_shaped_like_a_clinical_term_is_queried_but_not_if_the_patient_uses_it() -> None:
    assert _detector().first_unexplained("We could add an antiplatelet.") is not None
    known = JargonDetector.for_scenario({}, load_lexicon(), "The gingivitis came back.")
    assert known.first_unexplained("Your gingivitis has come back.") is None
    assert "walking" in load_ordinary_words()


def test_an_explanation_in_brackets_or_plain_words_counts() -> None:
    detector = _detector(anticoagulant="blood thinner")
    assert detector.first_unexplained("It's an anticoagulant (a blood thinner).") is None
    assert detector.first_unexplained("It's an anticoagulant, which means it thins the blood.") is None


def test_reaction_lines_fit_the_stance_and_are_not_repeated_while_others_remain() -> None:
    assert mood("suspicious") == "guarded"
    assert mood("ashamed") == "low"
    assert mood("anxious") == ""
    lines = ReactionLines("worried")
    picked = [lines.pick(Reaction.CONFIRM) for _ in range(4)]
    assert len(set(picked)) == 4
    gist = ReactionLines(None).pick(Reaction.ALREADY_SAID, gist="I live on my own")
    assert gist == "Like I said, I live on my own."
