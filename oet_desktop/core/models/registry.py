"""Resolve a model id to its files on disk, verify them, and say how to fix a missing or bad model."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from oet_desktop.core.errors import ModelCorruptError, ModelMissingError, UnknownModelError, UserFacingError
from oet_desktop.core.models.catalog import Catalog, DownloadSource, ModelEntry, ModelRole, PackageSource
from oet_desktop.core.models.checksums import ChecksumCache

PackageLocator = Callable[[str], Path | None]


def find_package_dir(module: str) -> Path | None:
    """The folder of an installed Python package, without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


@dataclass(frozen=True)
class ResolvedModel:
    """A model found on disk: its folder and the path an engine opens."""

    entry: ModelEntry
    root: Path

    @property
    def main_path(self) -> Path:
        """The file (or folder) the engine loads."""
        return self.root if self.entry.main == "." else self.root / self.entry.main


@dataclass(frozen=True)
class ModelStatus:
    """Whether a model is present and verified; ``problem`` is the user-facing message when not."""

    entry: ModelEntry
    present: bool
    verified: bool
    root: Path | None
    problem: str | None


class ModelRegistry:
    """Finds catalogue models on disk (in their package, or in the user's models folder) and verifies them."""

    def __init__(
        self,
        catalog: Catalog,
        models_dir: Path,
        checksums: ChecksumCache,
        locate_package: PackageLocator = find_package_dir,
    ) -> None:
        self.catalog = catalog
        self.models_dir = models_dir
        self._checksums = checksums
        self._locate_package = locate_package

    def entry(self, model_id: str) -> ModelEntry:
        """The catalogue entry, or :class:`UnknownModelError` listing the known ids."""
        entry = self.catalog.get(model_id)
        if entry is None:
            known = ", ".join(m.id for m in self.catalog.models)
            raise UnknownModelError(
                f"There is no model called {model_id!r}.", f"Choose one of: {known} (see `oet-desktop models list`)."
            )
        return entry

    def location(self, entry: ModelEntry) -> Path | None:
        """Where the model's files are (or would be, for a download); None when its package is absent."""
        if isinstance(entry.source, PackageSource):
            package_dir = self._locate_package(entry.source.module)
            return None if package_dir is None else package_dir / entry.source.subdir
        return self.models_dir / entry.id

    def fix_command(self, entry: ModelEntry) -> str:
        """The command that installs or repairs this model (in an installed app, a model that comes with the app
        is repaired by reinstalling the app)."""
        if getattr(sys, "frozen", False) and isinstance(entry.source, PackageSource):
            return "reinstall OET Speaking practice (the default models come inside it)"
        return f"oet-desktop models install {entry.id}"

    def resolve(self, model_id: str, *, verify: bool = True) -> ResolvedModel:
        """Find the model's files; with ``verify``, check every file's size and SHA-256."""
        entry = self.entry(model_id)
        root = self.location(entry)
        fix = f"Run `{self.fix_command(entry)}` to install it."
        if root is None:
            assert isinstance(entry.source, PackageSource)
            raise ModelMissingError(
                f"The {entry.role.value} model {entry.id} ({entry.name}) is not installed: "
                f"the Python package {entry.source.package} that ships it is missing.",
                fix,
            )
        for model_file in entry.files:
            path = root / model_file.path
            if not path.is_file():
                raise ModelMissingError(
                    f"The {entry.role.value} model {entry.id} ({entry.name}) is incomplete: {path} is missing.", fix
                )
            if not verify:
                continue
            size = path.stat().st_size
            if size != model_file.size_bytes or self._checksums.digest(path) != model_file.sha256:
                raise ModelCorruptError(
                    f"The {entry.role.value} model {entry.id} failed its checksum: {path} "
                    f"({size:,} bytes) is not the file the catalogue lists "
                    f"({model_file.size_bytes:,} bytes, SHA-256 {model_file.sha256[:12]}…). "
                    "It may be damaged, truncated or replaced.",
                    f"Run `{self.fix_command(entry)}` to replace it.",
                )
        return ResolvedModel(entry, root)

    def resolve_default(self, role: ModelRole, *, verify: bool = True) -> ResolvedModel:
        """The default-tier model for a role."""
        return self.resolve(self.catalog.default_for(role).id, verify=verify)

    def status(self, model_id: str) -> ModelStatus:
        """Present/verified state of one model, never raising for a model problem."""
        entry = self.entry(model_id)
        try:
            resolved = self.resolve(model_id)
        except ModelCorruptError as exc:
            return ModelStatus(entry, True, False, self.location(entry), exc.paragraph())
        except UserFacingError as exc:
            return ModelStatus(entry, False, False, self.location(entry), exc.paragraph())
        return ModelStatus(entry, True, True, resolved.root, None)

    def statuses(self) -> list[ModelStatus]:
        """The status of every catalogue model."""
        return [self.status(m.id) for m in self.catalog.models]

    def is_downloadable(self, entry: ModelEntry) -> bool:
        """Whether the model comes from a download URL (not a package)."""
        return isinstance(entry.source, DownloadSource)
