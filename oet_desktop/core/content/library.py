"""The scenario library: bundled role-plays plus the user's own folders, filterable."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from oet_desktop.core.content.loader import LoadResult, load_scenario_file
from oet_desktop.core.content.scenario import Profession, Scenario
from oet_desktop.core.paths import project_root


def bundled_scenarios_dir() -> Path:
    """The role-plays shipped with the app."""
    return project_root() / "resources" / "scenarios"


@dataclass
class ScenarioLibrary:
    """Every scenario that loaded, and the results (errors, warnings) of every file tried."""

    scenarios: dict[str, Scenario] = field(default_factory=dict)
    results: list[LoadResult] = field(default_factory=list)

    @classmethod
    def load(cls, folders: Iterable[Path]) -> ScenarioLibrary:
        """Load every ``*.yaml`` under each folder (recursively). A bad file is reported and skipped;
        a later file with an id already taken is refused."""
        library = cls()
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.rglob("*.y*ml")):
                result = load_scenario_file(path, str(path.relative_to(folder)))
                scenario = result.scenario
                if scenario is not None and scenario.id in library.scenarios:
                    first = library.scenarios[scenario.id].source
                    result.errors.append(f"{result.label}: id: {scenario.id!r} is already used by {first}")
                    result.scenario = None
                elif scenario is not None:
                    library.scenarios[scenario.id] = scenario
                library.results.append(result)
        return library

    @property
    def errors(self) -> list[str]:
        """Every error message, file by file."""
        return [message for result in self.results for message in result.errors]

    def get(self, scenario_id: str) -> Scenario | None:
        """A scenario by id."""
        return self.scenarios.get(scenario_id)

    def filter(
        self,
        profession: Profession | None = None,
        difficulty: int | None = None,
        text: str = "",
        exclude: Iterable[str] = (),
    ) -> list[Scenario]:
        """Scenarios matching every given filter, by profession then title. ``text`` searches the title,
        setting and candidate card; ``exclude`` drops ids (e.g. those already practised)."""
        excluded = set(exclude)
        needle = text.lower().strip()
        found = [
            s for s in self.scenarios.values()
            if (profession is None or s.profession is profession)
            and (difficulty is None or s.difficulty == difficulty)
            and s.id not in excluded
            and (not needle or needle in f"{s.title} {s.setting} {s.candidate.background}".lower())
        ]
        return sorted(found, key=lambda s: (s.profession.value, s.title))


SETTING_KINDS = ("Home or care home", "Clinic, practice or pharmacy", "Hospital", "Elsewhere")
"""The kinds of setting the library can be filtered by."""
_KIND_WORDS = (
    ("Home or care home", ("home",)),
    ("Clinic, practice or pharmacy", ("clinic", "practice", "surgery", "health centre", "pharmacy", "outpatient")),
    ("Hospital", ("hospital", "ward", "unit", "department", "emergency")),
)


def setting_kind(setting: str) -> str:
    """Which of :data:`SETTING_KINDS` a scenario's setting is, from the words in it."""
    text = setting.lower()
    for kind, words in _KIND_WORDS:
        if any(word in text for word in words):
            return kind
    return SETTING_KINDS[-1]
