"""The role-play library: every role-play (bundled and the candidate's own), filtered, one shown as its cards,
and scenario files checked against the format."""

from __future__ import annotations

from pathlib import Path

from oet_desktop.core.content.cards import format_cards
from oet_desktop.core.content.library import ScenarioLibrary
from oet_desktop.core.content.loader import LoadResult, load_scenario_file
from oet_desktop.core.content.scenario import Profession, Scenario
from oet_desktop.core.errors import UserFacingError
from oet_desktop.services.context import AppContext


def load_library(context: AppContext) -> ScenarioLibrary:
    """The bundled and the user's role-plays (read fresh each call)."""
    return context.load_scenarios()


def profession_named(value: str | None) -> Profession | None:
    """The OET profession called ``value`` (None for none), or a clear error listing them."""
    if not value:
        return None
    try:
        return Profession(value)
    except ValueError:
        raise UserFacingError(f"{value!r} is not an OET profession.",
                              f"Choose one of: {', '.join(p.value for p in Profession)}.") from None


def find(library: ScenarioLibrary, profession: str | None, difficulty: int | None, search: str) -> list[Scenario]:
    """The role-plays matching every filter given."""
    return list(library.filter(profession_named(profession), difficulty, search))


def cards(library: ScenarioLibrary, scenario_id: str, with_interlocutor: bool = False) -> str:
    """A role-play's candidate card (and the interlocutor's) as text."""
    scenario = library.get(scenario_id)
    if scenario is None:
        raise UserFacingError(f"There is no role-play called {scenario_id!r}.",
                              "See `oet-desktop scenarios list` for the ids.")
    return format_cards(scenario, with_interlocutor=with_interlocutor)


def validate(context: AppContext, paths: list[Path]) -> list[LoadResult]:
    """Check scenario files (the given files and folders, or every one the app loads)."""
    if not paths:
        return list(context.load_scenarios().results)
    files = [p for path in paths for p in (sorted(path.rglob("*.y*ml")) if path.is_dir() else [path])]
    return [load_scenario_file(f, str(f)) for f in files]
