"""Measures of the AI interlocutor on a set of candidate turns, typed (the director on the text) or spoken
(Piper's voice, transcribed by Whisper as in a live role-play): the right fact for fact questions, no fact and
the expected reaction for other turns, clarification of jargon and no false alarms, and no fact line said
twice word for word in a whole role-play."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from oet_desktop.core.content.library import ScenarioLibrary
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.embeddings.embedder import Embedder
from oet_desktop.core.practice.director import CandidateTurn, Director, DirectorState, Move
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon
from tests.calibration import PAUSE, CalibrationCase
from tests.heldout import InterlocutorSet, JargonSentence, NonFactTurn, Probe

EXPECTED_KIND = {"acknowledge": {"acknowledge"}, "relief": {"reassured"}, "confirm": {"confirm"},
                 "own_version": {"teach_back"}}
"""The director's move kinds that are the expected reaction."""
FILLERS = re.compile(r"\b(um+|uh+|er+m?|hmm+)\b[,.]?\s*", re.IGNORECASE)

Hear = Callable[[str, Scenario], str]
"""What the interlocutor hears of a candidate line (the text itself, or Piper → Whisper)."""


def typed(text: str, _scenario: Scenario) -> str:
    """Typed mode: the interlocutor reads exactly what was typed."""
    return text


@dataclass
class Tally:
    """A rate with its misses kept for the report."""

    hits: int = 0
    total: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, hit: bool, what: str) -> None:
        """Count one case."""
        self.total += 1
        self.hits += hit
        if not hit:
            self.misses.append(what)

    @property
    def rate(self) -> float:
        """Share of hits (0 when empty)."""
        return self.hits / self.total if self.total else 0.0

    def figure(self) -> dict[str, object]:
        """JSON form."""
        return {"hits": self.hits, "total": self.total, "rate": round(self.rate, 4), "misses": self.misses[:40]}


class Directors:
    """One director per role-play, reset to a chosen state before each test turn."""

    def __init__(self, library: ScenarioLibrary, embedder: Embedder) -> None:
        self._library = library
        self._embedder = embedder
        self._lexicon = load_lexicon()
        self._made: dict[str, Director] = {}

    def scenario(self, scenario_id: str) -> Scenario:
        """A role-play of the set."""
        scenario = self._library.get(scenario_id)
        assert scenario is not None, scenario_id
        return scenario

    def fresh(self, scenario_id: str) -> Director:
        """A new director (a whole role-play)."""
        scenario = self.scenario(scenario_id)
        jargon = JargonDetector.for_scenario(scenario.lay_terms, self._lexicon, scenario.interlocutor_words)
        return Director(scenario, self._embedder, jargon)

    def past_opening(self, scenario_id: str, nothing_due: bool = False) -> Director:
        """The role-play's director just after the opening; with ``nothing_due`` the role-play is further on
        (six turns, the card's explaining tasks done as their probes say), every cue has fired and the resolution
        was given, so the turn's own reaction shows."""
        if scenario_id not in self._made:
            self._made[scenario_id] = self.fresh(scenario_id)
        director = self._made[scenario_id]
        cues = director.scenario.interlocutor.cues
        state = DirectorState(turns=1, fired_cues=[c.id for c in cues[:1] if c.when.kind == "start"])
        if nothing_due:
            state.turns = 6
            state.fired_cues = [c.id for c in cues]
            state.resolution_given = True
            state.explained = [probe for task in director.scenario.candidate.tasks for probe in task.probes[:1]
                               if not probe.rstrip().endswith("?")]
        director.state = state
        return director


def _decide(director: Director, text: str) -> Move:
    return director.decide(CandidateTurn(text, 30.0, 200.0))


def fact_accuracy(directors: Directors, probes: Iterable[Probe], hear: Hear = typed) -> Tally:
    """Fact questions answered with the fact they ask for."""
    tally = Tally()
    for probe in probes:
        director = directors.past_opening(probe.scenario)
        move = _decide(director, hear(probe.question, director.scenario))
        hit = move.kind.value == "fact" and probe.fact in (move.ref or "").split(", ")
        tally.add(hit, f"{probe.scenario}/{probe.fact}: {probe.question!r} -> {move.kind.value} {move.ref}")
    return tally


def non_fact_behaviour(directors: Directors, turns: Iterable[NonFactTurn | tuple[str, str]],
                       hear: Hear = typed) -> tuple[Tally, Tally]:
    """(no fact released, the expected reaction) over turns that ask for no fact. A turn given as (scenario,
    text) has no expected reaction and counts only for the first."""
    no_fact, reaction = Tally(), Tally()
    for turn in turns:
        scenario_id, text = (turn.scenario, turn.text) if isinstance(turn, NonFactTurn) else turn
        director = directors.past_opening(scenario_id, nothing_due=True)
        move = _decide(director, hear(text, director.scenario))
        no_fact.add(move.kind.value != "fact", f"{scenario_id}: {text!r} -> fact {move.ref}")
        if isinstance(turn, NonFactTurn):
            reaction.add(move.kind.value in EXPECTED_KIND[turn.expect],
                         f"{scenario_id} [{turn.kind} → {turn.expect}]: {text!r} -> {move.kind.value}: {move.say}")
    return no_fact, reaction


def clarifications(directors: Directors, sentences: Iterable[JargonSentence], hear: Hear = typed) -> Tally:
    """Jargon sentences the interlocutor asks about."""
    tally = Tally()
    for sentence in sentences:
        director = directors.past_opening(sentence.scenario)
        heard = hear(sentence.text, director.scenario)
        move = _decide(director, heard)
        tally.add(move.kind.value == "clarify", f"{sentence.scenario} [{sentence.term}]: {heard!r} -> "
                                                f"{move.kind.value}")
    return tally


def false_clarifications(directors: Directors, lines: Iterable[tuple[str, str]], hear: Hear = typed) -> Tally:
    """Turns without jargon (fact questions, explanations, reassurance…) that the interlocutor queried anyway;
    ``hits`` counts the false alarms."""
    tally = Tally()
    for scenario_id, text in lines:
        director = directors.past_opening(scenario_id)
        heard = hear(text, director.scenario)
        move = _decide(director, heard)
        tally.total += 1
        if move.kind.value == "clarify":
            tally.hits += 1
            tally.misses.append(f"{scenario_id}: {heard!r} -> {move.say}")
    return tally


def typed_line(text: str) -> str:
    """A script's candidate line as typed: no pause markup, no fillers."""
    return re.sub(r"\s+", " ", FILLERS.sub("", PAUSE.sub(" ", text))).strip()


@dataclass
class RepeatCount:
    """Fact lines said again word for word within whole role-plays."""

    role_plays: int = 0
    replies: int = 0
    fact_repeats: int = 0
    """A reply holding the whole line of a fact that an earlier reply already held."""
    line_repeats: int = 0
    """A reply identical to an earlier reply (closing lines aside)."""
    examples: list[str] = field(default_factory=list)

    def figure(self) -> dict[str, object]:
        """JSON form."""
        return {"role_plays": self.role_plays, "replies": self.replies, "fact_repeats": self.fact_repeats,
                "line_repeats": self.line_repeats, "examples": self.examples[:20]}


def verbatim_repeats(directors: Directors, cases: Iterable[CalibrationCase]) -> RepeatCount:
    """Each script's candidate turns typed into a whole role-play (about 12 s a turn)."""
    count = RepeatCount()
    for case in cases:
        director = directors.fresh(case.scenario)
        facts = [f.say for f in director.scenario.interlocutor.facts]
        said: list[str] = []
        count.role_plays += 1
        for index, (candidate, _) in enumerate(case.turns):
            move = director.decide(CandidateTurn(typed_line(candidate), 12.0 * (index + 1),
                                                 300.0 - 12.0 * (index + 1)))
            count.replies += 1
            again = [f for f in facts if f in move.say and any(f in earlier for earlier in said)]
            if again:
                count.fact_repeats += 1
                count.examples.append(f"{case.id} turn {index + 1}: {again[0]}")
            if move.kind.value != "closing" and move.say in said:
                count.line_repeats += 1
            said.append(move.say)
            if director.state.closed:
                break
    return count


def other_lines(turns: InterlocutorSet) -> list[tuple[str, str]]:
    """Every candidate turn of a set that holds no jargon on purpose."""
    return [(p.scenario, p.question) for p in turns.probes] + [(t.scenario, t.text) for t in turns.non_facts]
