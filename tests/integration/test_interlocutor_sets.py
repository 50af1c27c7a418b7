"""The interlocutor measured on three sets side by side, with the real embedding model: the old set the rules
were tuned on (in-sample), the development turns written on the same old role-plays to tune against (also
in-sample), and the held-out set written apart and frozen before the rules changed. Typed (the director reads
the text) and spoken (Piper's voice, recognised by Whisper with and without the card's vocabulary).

Every figure goes to bench-results/interlocutor.json; docs/practice.md reports them. The assertions hold the
issue's targets where they are met and, where they are not yet met, the figure measured when this test was
written (so a change can only improve them); the printed table says which is which."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jiwer
import numpy as np
import pytest
import yaml

from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.practice.jargon import load_lexicon, spelling_key
from oet_desktop.core.speech.vocabulary import card_vocabulary
from tests import interlocutor_eval as ev
from tests.calibration import CALIBRATION_DIR, load_cases
from tests.heldout import HELDOUT, InterlocutorSet, JargonSentence, NonFactTurn, Probe, interlocutor_set, library
from tests.results import write_result

pytestmark = [pytest.mark.models, pytest.mark.timeout(1800)]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
OLD_LIBRARY = ScenarioLibrary.load([bundled_scenarios_dir()])
TARGETS = {"facts": 0.90, "no_fact": 0.95, "reaction": 0.85, "clarify": 0.90, "false_clarify": 0.02}
FLOORS = {"facts": 0.64, "reaction": 0.81, "clarify": 0.88, "spoken_clarify": 0.78}
"""Held-out figures not yet at target: what they were when measured (so they can only go up)."""


def _old_set() -> InterlocutorSet:
    probes = yaml.safe_load((FIXTURES / "fact_questions.yaml").read_text(encoding="utf-8"))
    return InterlocutorSet([Probe(q["scenario"], q["fact"], q["question"]) for q in probes], [], [])


def _old_statements() -> list[tuple[str, str]]:
    raw = yaml.safe_load((FIXTURES / "non_questions.yaml").read_text(encoding="utf-8"))
    return [(s["scenario"], s["utterance"]) for s in raw]


def _dev_set() -> tuple[InterlocutorSet, list[tuple[str, str]]]:
    raw: dict[str, list[dict[str, str]]] = {}
    for name in ("dev_turns.yaml", "dev_turns_2.yaml"):
        for key, items in yaml.safe_load((FIXTURES / name).read_text(encoding="utf-8")).items():
            raw.setdefault(key, []).extend(items)
    return InterlocutorSet(
        [Probe(x["scenario"], x["fact"], x["question"]) for x in raw["fact_probes"]],
        [NonFactTurn(x["scenario"], x["kind"], x["expect"], x["text"]) for x in raw["non_fact_turns"]],
        [JargonSentence(x["scenario"], x["term"], x["text"]) for x in raw["jargon_sentences"]],
    ), [(x["scenario"], x["question"]) for x in raw["off_card_questions"]]


def _typed_figures(directors: ev.Directors, turns: InterlocutorSet, statements: list[tuple[str, str]],
                   cases: list[Any]) -> dict[str, Any]:
    facts = ev.fact_accuracy(directors, turns.probes)
    no_fact, reaction = ev.non_fact_behaviour(directors, [*turns.non_facts, *statements])
    clarify = ev.clarifications(directors, turns.jargon)
    false = ev.false_clarifications(directors, [*ev.other_lines(turns), *statements])
    repeats = ev.verbatim_repeats(directors, cases)
    return {"facts": facts.figure(), "no_fact": no_fact.figure(), "reaction": reaction.figure(),
            "clarify": clarify.figure(), "false_clarify": false.figure(), "repeats": repeats.figure()}


@pytest.fixture(scope="module")
def typed(engines: EngineSet) -> dict[str, Any]:
    """Typed figures on the three sets."""
    embedder = engines.embedder()
    dev, off_card = _dev_set()
    figures = {
        "old (in-sample)": _typed_figures(ev.Directors(OLD_LIBRARY, embedder), _old_set(), _old_statements(),
                                          load_cases(CALIBRATION_DIR)),
        "dev (in-sample)": _typed_figures(ev.Directors(OLD_LIBRARY, embedder), dev, [], []),
        "held-out": _typed_figures(ev.Directors(library(), embedder), interlocutor_set(), [],
                                   load_cases(HELDOUT / "calibration")),
    }
    off = ev.non_fact_behaviour(ev.Directors(OLD_LIBRARY, embedder), off_card)[0]
    figures["dev (in-sample)"]["off_card_questions_without_a_fact"] = off.figure()
    return figures


def _rate(figure: dict[str, Any]) -> str:
    return f"{figure['hits']}/{figure['total']} = {figure['rate']:.1%}" if figure["total"] else "–"


def test_typed_interlocutor_figures_on_the_old_and_held_out_sets(typed: dict[str, Any]) -> None:
    print("\nmeasure".ljust(44) + "".join(name.ljust(26) for name in typed))
    for key in ("facts", "no_fact", "reaction", "clarify", "false_clarify"):
        print(key.ljust(43) + "".join(_rate(typed[name][key]).ljust(26) for name in typed))
    print("verbatim fact repeats".ljust(43) + "".join(
        f"{typed[n]['repeats']['fact_repeats']} in {typed[n]['repeats']['replies']} replies".ljust(26) for n in typed))
    held = typed["held-out"]
    write_result("interlocutor-typed", {"targets": TARGETS, "floors": FLOORS, "sets": typed})
    # the targets that hold
    assert held["no_fact"]["rate"] >= TARGETS["no_fact"]
    assert held["false_clarify"]["rate"] <= TARGETS["false_clarify"]
    assert held["repeats"]["fact_repeats"] == 0
    assert typed["old (in-sample)"]["repeats"]["fact_repeats"] == 0
    assert typed["old (in-sample)"]["facts"]["rate"] >= 0.90  # the tuning set does not get worse
    assert typed["old (in-sample)"]["no_fact"]["rate"] == 1.0
    # not yet at target on the held-out set: never below what was measured
    for key in ("facts", "reaction", "clarify"):
        assert held[key]["rate"] >= FLOORS[key], f"{key}: {_rate(held[key])}, target {TARGETS[key]:.0%}"


def _spoken(engines: EngineSet, with_vocabulary: bool) -> ev.Hear:
    """Piper says the line; Whisper hears it (with the card's vocabulary as hot words, or without)."""
    voice, transcriber, lexicon = engines.voice(), engines.transcriber(), load_lexicon()
    heard: dict[tuple[str, str], str] = {}

    def hear(text: str, scenario: Scenario) -> str:
        key = (text, scenario.id)
        if key not in heard:
            audio, rate = voice.speak_all(text)
            clip = np.concatenate([np.zeros(3200, np.float32), resample(audio, rate, SAMPLE_RATE),
                                   np.zeros(3200, np.float32)])
            vocabulary = card_vocabulary(scenario, lexicon) if with_vocabulary else ""
            heard[key] = transcriber.transcribe(clip, keep_fillers=True, word_timestamps=False,
                                                vocabulary=vocabulary).text.strip()
        return heard[key]

    return hear


def _normal(text: str) -> str:
    return " ".join(jiwer.RemovePunctuation()(text.lower()).replace("-", " ").split())


def _stt_figures(directors: ev.Directors, turns: InterlocutorSet, hear: ev.Hear) -> dict[str, Any]:
    """Whether each jargon term came through as written (any spelling), WER over the jargon sentences and over
    everyday turns, and the interlocutor's clarifications on what was heard."""
    terms_right = 0
    for sentence in turns.jargon:
        heard = hear(sentence.text, directors.scenario(sentence.scenario))
        terms_right += spelling_key(sentence.term) in spelling_key(heard)
    jargon_wer = jiwer.wer([_normal(j.text) for j in turns.jargon],
                           [_normal(hear(j.text, directors.scenario(j.scenario))) for j in turns.jargon])
    everyday = [(t.scenario, t.text) for t in turns.non_facts]
    everyday_wer = jiwer.wer([_normal(text) for _, text in everyday],
                             [_normal(hear(text, directors.scenario(s))) for s, text in everyday])
    clarify = ev.clarifications(directors, turns.jargon, hear)
    false = ev.false_clarifications(directors, everyday, hear)
    return {"terms_heard_as_written": {"hits": terms_right, "total": len(turns.jargon),
                                       "rate": round(terms_right / len(turns.jargon), 4)},
            "jargon_sentence_wer": round(jargon_wer, 4), "everyday_wer": round(everyday_wer, 4),
            "clarify": clarify.figure(), "false_clarify": false.figure()}


@pytest.mark.audio
def test_spoken_jargon_and_the_recognisers_card_vocabulary(engines: EngineSet) -> None:
    """Jargon spoken by Piper and recognised by Whisper, with and without the card's vocabulary as hot words:
    the terms come through better with it, everyday speech does not get worse, and the patient asks about
    the jargon it heard."""
    embedder = engines.embedder()
    dev, _ = _dev_set()
    figures: dict[str, Any] = {}
    for name, lib, turns in (("dev (in-sample)", OLD_LIBRARY, dev), ("held-out", library(), interlocutor_set())):
        directors = ev.Directors(lib, embedder)
        figures[name] = {"with_vocabulary": _stt_figures(directors, turns, _spoken(engines, True)),
                         "without_vocabulary": _stt_figures(directors, turns, _spoken(engines, False))}
    write_result("interlocutor-spoken", {"targets": TARGETS, "floors": FLOORS, "sets": figures})
    for name, both in figures.items():
        for how, f in both.items():
            print(f"{name:16} {how:19} terms {f['terms_heard_as_written']['rate']:.1%}  jargon WER "
                  f"{f['jargon_sentence_wer']:.1%}  everyday WER {f['everyday_wer']:.1%}  clarified "
                  f"{_rate(f['clarify'])}  false {_rate(f['false_clarify'])}")
    for both in figures.values():
        biased, plain = both["with_vocabulary"], both["without_vocabulary"]
        assert biased["terms_heard_as_written"]["rate"] >= plain["terms_heard_as_written"]["rate"]
        assert biased["everyday_wer"] <= plain["everyday_wer"] + 0.01  # everyday speech is not worse
    held = figures["held-out"]["with_vocabulary"]
    assert held["false_clarify"]["rate"] <= TARGETS["false_clarify"]
    assert held["clarify"]["rate"] >= FLOORS["spoken_clarify"], _rate(held["clarify"])
