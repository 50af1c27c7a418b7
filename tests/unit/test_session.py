"""The session state machine on a simulated clock: exam timings, practice mode, full mock."""

from __future__ import annotations

import pytest

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.practice.clock import SimulatedClock
from oet_desktop.core.practice.session import Mode, Phase, PracticeSession

LIBRARY = ScenarioLibrary.load([bundled_scenarios_dir()])
CARDS = list(LIBRARY.scenarios.values())[:2]


def test_exam_mode_runs_preparation_then_role_play_then_closes_at_time_up() -> None:
    clock = SimulatedClock()
    changes = []
    session = PracticeSession(CARDS[:1], Mode.EXAM, clock, on_change=changes.append)
    session.start()
    clock.advance(179.9)
    session.tick()
    assert session.phase is Phase.PREPARING
    assert session.time_left() == pytest.approx(0.1)
    clock.advance(0.1)
    session.tick()
    assert session.phase is Phase.ROLE_PLAY
    assert session.time_left() == 300
    clock.advance(300)
    session.tick()
    assert session.phase is Phase.CLOSING
    assert changes[-1].reason == "time up"
    session.closing_said()
    assert session.phase is Phase.FINISHED


def test_a_full_mock_runs_two_cards() -> None:
    clock = SimulatedClock()
    session = PracticeSession(CARDS, Mode.EXAM, clock)
    session.start()
    session.start_role_play()  # the candidate is ready before 3:00
    session.end_role_play()
    session.closing_said()
    assert session.phase is Phase.BETWEEN_CARDS
    session.next_card()
    assert session.phase is Phase.PREPARING
    assert session.scenario is CARDS[1]
    clock.advance(180 + 300)  # one late tick: preparation ended at 3:00 and the role-play at 8:00
    session.tick()
    assert session.phase is Phase.CLOSING
    assert [c.at - session.history[3].at for c in session.history[-2:]] == [180, 480]
    session.closing_said()
    assert session.phase is Phase.FINISHED


def test_practice_mode_is_untimed() -> None:
    clock = SimulatedClock()
    session = PracticeSession(CARDS[:1], Mode.PRACTICE, clock)
    session.start()
    session.start_role_play()
    clock.advance(3600)
    session.tick()
    assert session.phase is Phase.ROLE_PLAY
    assert session.time_left() is None


def test_impossible_steps_are_refused() -> None:
    session = PracticeSession(CARDS[:1], Mode.EXAM, SimulatedClock())
    with pytest.raises(RuntimeError, match="not possible while not_started"):
        session.end_role_play()
    with pytest.raises(ValueError, match="two for a full mock"):
        PracticeSession(CARDS * 2, Mode.EXAM, SimulatedClock())
