"""The one place that builds the object graph: paths → settings → model registry → engines."""

from __future__ import annotations

from dataclasses import dataclass

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import Catalog, load_catalog
from oet_desktop.core.models.checksums import ChecksumCache
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.paths import AppPaths, catalog_path
from oet_desktop.core.settings import EngineSettings


@dataclass
class AppContext:
    """Everything a command or the window needs, built once."""

    paths: AppPaths
    catalog: Catalog
    registry: ModelRegistry
    engines: EngineSet
    pinned: frozenset[str] = frozenset()
    """``EngineSettings`` fields given on the command line: the profile's saved settings do not replace them."""

    def load_scenarios(self) -> ScenarioLibrary:
        """The bundled role-plays plus the user's own folder (read fresh each call)."""
        return ScenarioLibrary.load([bundled_scenarios_dir(), self.paths.user_scenarios_dir])


def build_context(paths: AppPaths | None = None, settings: EngineSettings | None = None,
                  pinned: frozenset[str] = frozenset()) -> AppContext:
    """Assemble the app's services; nothing heavy is loaded here."""
    paths = paths or AppPaths.for_user()
    catalog = load_catalog(catalog_path())
    registry = ModelRegistry(catalog, paths.models_dir, ChecksumCache(paths.cache_dir / "model-checksums.json"))
    return AppContext(paths, catalog, registry, EngineSet(registry, settings or EngineSettings()), pinned)
