"""A typed role-play, as a candidate without a working microphone meets it: from the command line
(`practice --typed FILE`) and through the window's live role-play with no microphone. The patient answers in
text and voice, the session is saved, and the feedback covers only what text can show, saying so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oet_desktop.core.assessment.conversation import from_record
from oet_desktop.core.assessment.criteria import Criterion
from oet_desktop.core.assessment.feedback import Assessor
from oet_desktop.core.audio.memory import NoMicrophone, RecordingOutput
from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import load_catalog
from oet_desktop.core.paths import catalog_path
from oet_desktop.core.practice.engine import TurnMode
from oet_desktop.core.practice.headless import parts_from_engines
from oet_desktop.core.practice.live_practice import LivePractice
from oet_desktop.core.practice.session import Mode
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.worker import StorageThread
from tests.conftest import user_environment
from tests.integration.test_cli import assert_one_paragraph, run_cli

pytestmark = pytest.mark.models

SCENARIO = "nursing-insulin-start-driver"
TURNS = """# a typed role-play: one candidate turn a line
Hello Mr Qureshi, I'm Sam, the practice nurse. I'd like to talk about starting insulin today.
What do you do for work?
And what do you do for a living, again?
Your HbA1c shows we need to start basal insulin.
Insulin helps move sugar out of your blood, and the injection is a tiny needle just under the skin.
Just so I know I've explained it clearly, could you tell me how you'll do the injection at home?
Thank you for your time. Take care, goodbye.
"""


def test_practice_typed_from_a_file(tmp_path: Path) -> None:
    env = user_environment(tmp_path / "home")
    script = tmp_path / "turns.txt"
    script.write_text(TURNS, encoding="utf-8")
    result = run_cli("practice", "--scenario", SCENARIO, "--typed", str(script), env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "; typed" in out
    assert out.count("candidate: ") == 7
    assert any(line.startswith("  patient (clarify") and "HbA1c" in line for line in out.splitlines())
    assert "(teach_back, scripted): So, if I've got it right," in out
    job_line = "I drive a delivery van"
    assert out.count(job_line) == 2  # told once in full, then referred back to
    assert "Intelligibility" in out
    assert "not assessed" in out
    report = json.loads(run_cli("report", "latest", "--json", env=env).stdout)
    reasons = " ".join(report["not_assessed"])
    assert "typed, not spoken" in reasons
    scores = {c["criterion"]: c["score"] for c in report["criteria"]}
    assert scores["intelligibility"] is None
    assert scores["fluency"] is None
    assert scores["grammar_expression"] is not None
    assert scores["relationship_building"] is not None
    assert report["estimate"] is None  # no estimate from a partial set of criteria
    history = json.loads(run_cli("history", "--json", env=env).stdout)
    assert history[0]["status"] == "finished"


def test_a_typed_file_that_is_missing_or_empty_is_one_clear_message(tmp_path: Path) -> None:
    env = user_environment(tmp_path / "home")
    missing = run_cli("practice", "--scenario", SCENARIO, "--typed", str(tmp_path / "nope.txt"), env=env)
    assert_one_paragraph(missing, "nope.txt does not exist")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing yet\n\n", encoding="utf-8")
    blank = run_cli("practice", "--scenario", SCENARIO, "--typed", str(empty), env=env)
    assert_one_paragraph(blank, "has no turns in it")


def test_the_windows_live_role_play_typed_with_no_microphone(engines: EngineSet, tmp_path: Path) -> None:
    """What the window runs when the candidate ticks "Type instead of speaking": no microphone is opened, each
    typed turn is answered aloud on the role-play's worker, and the session is saved and scored as typed."""
    scenario = ScenarioLibrary.load([bundled_scenarios_dir()]).get(SCENARIO)
    assert scenario is not None
    parts = parts_from_engines(engines, load_catalog(catalog_path()))
    speaker = RecordingOutput()
    storage = StorageThread(tmp_path / "profile.db", DatabaseKey(raw=bytes(range(32))), create=True)
    try:
        live = LivePractice(scenario, Mode.PRACTICE, TurnMode.TYPED, parts, NoMicrophone(), speaker, storage,
                            "typed-session")
        live.start()
        assert live.typed_only
        for text in TURNS.splitlines()[1:4]:
            count = len(live.record.turns)
            live.type_turn(text)
            for _ in range(300):
                if len(live.record.turns) > count and not live.engine.replying:
                    break
                live.engine.clock.sleep(0.05)
        record = live.finish(end_early=True)
        assert [t.typed for t in record.turns if t.candidate_text] == [True, True, True]
        assert all(t.reply_text for t in record.turns)
        assert speaker.played_seconds > 1.0  # the patient answered aloud
        saved = storage.call(lambda repo: repo.load_session("typed-session"))
        assert saved is not None
        assert saved.data["turn_mode"] == "typed"
    finally:
        storage.close()
    report = Assessor.with_project_lexicon(engines.embedder()).assess(from_record(record, scenario, "typed-session"))
    assert report.criterion(Criterion.FLUENCY).score is None
    assert "typed, not spoken" in (report.criterion(Criterion.FLUENCY).not_assessed or "")
