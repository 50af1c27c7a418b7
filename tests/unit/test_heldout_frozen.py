"""The held-out set is frozen: its files are never edited after it was committed (rules are tuned elsewhere)."""

from __future__ import annotations

from tests.calibration import load_cases
from tests.heldout import FROZEN_SHA256, HELDOUT, content_hash, interlocutor_set, library


def test_the_held_out_set_is_unchanged_since_it_was_frozen() -> None:
    assert content_hash() == FROZEN_SHA256, (
        "tests/fixtures/heldout was edited after it was frozen: restore it (a new held-out set needs a new "
        "folder written apart from the rules, and a new pinned hash)")


def test_the_held_out_set_is_as_large_as_the_issue_asks() -> None:
    scenarios = library().scenarios
    assert len(scenarios) >= 8
    turns = interlocutor_set()
    assert {p.scenario for p in turns.probes} == set(scenarios)
    assert len(turns.probes) >= 56
    assert len(turns.non_facts) >= 40
    assert len(turns.jargon) >= 40
    assert {t.expect for t in turns.non_facts} == {"acknowledge", "relief", "confirm", "own_version"}
    cases = load_cases(HELDOUT / "calibration")
    assert len(cases) >= 24
    assert {c.scenario for c in cases} == set(scenarios)
    assert sum(bool(c.caught_on) for c in cases) >= 4
    for scenario in scenarios.values():  # every fact of every role-play is probed
        asked = {p.fact for p in turns.probes if p.scenario == scenario.id}
        assert asked == {f.id for f in scenario.interlocutor.facts}, scenario.id
