"""The scenario format: the bundled library, the format's own example, and precise errors for bad files."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import pytest
import yaml

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.content.loader import load_scenario_file, parse_scenario
from oet_desktop.core.content.scenario import Profession
from tests.conftest import REPO

BROKEN = REPO / "tests" / "fixtures" / "scenarios" / "broken"
FORMAT_DOC = REPO / "docs" / "scenario-format.md"


def test_the_bundled_library_has_at_least_40_valid_scenarios_for_all_12_professions() -> None:
    library = ScenarioLibrary.load([bundled_scenarios_dir()])
    assert library.errors == []
    assert [w for r in library.results for w in r.warnings] == []
    assert len(library.scenarios) >= 40
    counts = Counter(s.profession for s in library.scenarios.values())
    assert set(counts) == set(Profession)
    assert all(n >= 3 for n in counts.values()), counts
    assert counts[Profession.NURSING] >= 6
    assert counts[Profession.MEDICINE] >= 6
    for scenario in library.scenarios.values():
        assert scenario.lay_terms, scenario.id
        assert scenario.id.startswith(scenario.profession.value.replace("_", "-")), scenario.id
        assert scenario.source.startswith(scenario.profession.value + "/"), scenario.source


def test_the_library_is_varied_in_stance_interlocutor_and_difficulty() -> None:
    scenarios = ScenarioLibrary.load([bundled_scenarios_dir()]).scenarios.values()
    roles = {s.interlocutor.role for s in scenarios}
    stances = {s.interlocutor.stance for s in scenarios}
    assert {"Patient", "Parent", "Owner"} <= roles
    assert {"Relative", "Carer"} & roles
    assert {"anxious", "angry", "reluctant", "grieving", "misinformed"} <= stances
    assert {s.difficulty for s in scenarios} == {1, 2, 3}


def test_the_format_documents_example_loads_exactly() -> None:
    example = FORMAT_DOC.read_text().split("## A complete example (original content)")[1]
    raw = yaml.safe_load(example.split("```yaml")[1].split("```")[0])
    result = parse_scenario(raw, "nursing/knee-discharge.yaml")
    assert result.errors == []
    scenario = result.scenario
    assert scenario is not None
    assert [t.id for t in scenario.candidate.tasks][2] == "explain-medication"
    assert scenario.interlocutor.cues[1].when.task == "explain-medication"
    assert scenario.interlocutor.cues[2].when.amount == 150
    assert scenario.lay_terms["DVT"] == "a blood clot in the leg"


EXPECTED = {
    "missing-fact-say.yaml": "missing-fact-say.yaml: interlocutor.facts[1].say: missing",
    "bad-profession.yaml": "bad-profession.yaml: profession: 'surgery' is not one of: dentistry,",
    "bad-id.yaml": "bad-id.yaml: id: 'Bad_ID' may only contain lower-case letters, digits and hyphens",
    "unknown-task.yaml": "unknown-task.yaml: interlocutor.cues[0].when.after_task: 'explain-medicine' is not a "
    "task id of this card (tasks: a, b, c)",
    "too-few-tasks.yaml": "too-few-tasks.yaml: candidate.tasks: has 2 items; a card has 3 to 6",
    "wrong-version.yaml": "wrong-version.yaml: format: version 2 is not supported",
    "bad-when.yaml": "bad-when.yaml: interlocutor.cues[0].when.at: only 'start' is allowed, not 'end'",
    "no-facts.yaml": "no-facts.yaml: interlocutor.facts: missing",
    "not-yaml.yaml": "not-yaml.yaml: line 3, column 1: not valid YAML",
    "not-a-mapping.yaml": "not-a-mapping.yaml: the file must be a mapping of keys",
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_a_broken_file_gets_a_message_naming_file_key_and_problem(name: str) -> None:
    result = load_scenario_file(BROKEN / name, name)
    assert result.scenario is None
    assert len(result.errors) == 1
    assert result.errors[0].startswith(EXPECTED[name]), result.errors[0]


def test_one_bad_file_never_stops_the_others(tmp_path: Path) -> None:
    shutil.copytree(BROKEN, tmp_path / "mine")
    good = next(bundled_scenarios_dir().glob("nursing/*.yaml"))
    shutil.copy(good, tmp_path / "mine" / "good.yaml")
    library = ScenarioLibrary.load([tmp_path / "mine"])
    assert len(library.scenarios) == 1
    assert len(library.errors) == len(EXPECTED)


def test_a_user_file_reusing_a_bundled_id_is_refused_with_a_message(tmp_path: Path) -> None:
    good = next(bundled_scenarios_dir().glob("medicine/*.yaml"))
    (tmp_path / "user").mkdir()
    shutil.copy(good, tmp_path / "user" / "copy.yaml")
    library = ScenarioLibrary.load([bundled_scenarios_dir(), tmp_path / "user"])
    (message,) = library.errors
    assert message.startswith("copy.yaml: id: ")
    assert "is already used by medicine/" in message


def test_a_typo_in_a_key_is_pointed_out() -> None:
    raw = yaml.safe_load((BROKEN / "bad-id.yaml").read_text())
    raw["id"] = "fine"
    raw["interlocutor"]["stanse"] = "angry"
    result = parse_scenario(raw, "x.yaml")
    assert result.ok
    assert result.warnings == ["x.yaml: interlocutor.stanse: unknown key, ignored (did you mean 'stance'?)"]


def test_filters_by_profession_difficulty_text_and_not_yet_practised() -> None:
    library = ScenarioLibrary.load([bundled_scenarios_dir()])
    nursing = library.filter(Profession.NURSING)
    assert nursing
    assert all(s.profession is Profession.NURSING for s in nursing)
    hard = library.filter(difficulty=3)
    assert hard
    assert all(s.difficulty == 3 for s in hard)
    assert all("insulin" in f"{s.title} {s.setting} {s.candidate.background}".lower()
               for s in library.filter(text="Insulin"))
    practised = [nursing[0].id]
    assert nursing[0] not in library.filter(Profession.NURSING, exclude=practised)


def test_ids_used_twice_are_named_without_knock_on_errors() -> None:
    raw = yaml.safe_load(next(bundled_scenarios_dir().glob("nursing/*.yaml")).read_text())
    tasks = raw["candidate"]["tasks"]
    referenced = {c["when"].get("after_task") for c in raw["interlocutor"]["cues"]}
    renamed = next(i for i in range(len(tasks) - 1, 0, -1) if tasks[i]["id"] not in referenced)
    tasks[renamed]["id"] = tasks[0]["id"]
    raw["interlocutor"]["facts"].append(dict(raw["interlocutor"]["facts"][0]))
    errors = parse_scenario(raw, "x.yaml").errors
    last = len(raw["interlocutor"]["facts"]) - 1
    assert errors == [
        f"x.yaml: candidate.tasks[{renamed}].id: {tasks[0]['id']!r} is used twice",
        f"x.yaml: interlocutor.facts[{last}].id: {raw['interlocutor']['facts'][0]['id']!r} is used twice",
    ]
