"""The catalogue file and the registry: resolving, verifying, caching digests, clear errors."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from oet_desktop.core.errors import CatalogError, ModelCorruptError, ModelMissingError, UnknownModelError
from oet_desktop.core.models.catalog import ModelRole, load_catalog, parse_catalog
from oet_desktop.core.models.checksums import ChecksumCache
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.paths import catalog_path

CONTENT = b"pretend model weights " * 1000


def _catalog(sha: str, size: int) -> dict[str, object]:
    return {"models": [{
        "id": "tiny-llm", "role": "llm", "name": "Tiny", "tier": "default", "licence": "MIT",
        "hardware": {"min_ram_gb": 0.1, "gpu": "none"},
        "source": {"package": "tiny-llm-pkg", "version": "1.0", "module": "tiny_llm_pkg", "subdir": "."},
        "main": "model.gguf", "files": [{"path": "model.gguf", "size": size, "sha256": sha}],
    }]}


@pytest.fixture
def package_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "site-packages" / "tiny_llm_pkg"
    folder.mkdir(parents=True)
    (folder / "model.gguf").write_bytes(CONTENT)
    return folder


def _registry(tmp_path: Path, package_dir: Path | None, cache: ChecksumCache | None = None) -> ModelRegistry:
    catalog = parse_catalog(_catalog(hashlib.sha256(CONTENT).hexdigest(), len(CONTENT)), "test")
    return ModelRegistry(catalog, tmp_path / "models", cache or ChecksumCache(tmp_path / "cache.json"),
                         locate_package=lambda module: package_dir if module == "tiny_llm_pkg" else None)


def test_shipped_catalogue_lists_every_role_with_a_default_and_recommended_downloads() -> None:
    catalog = load_catalog(catalog_path())
    for role in ModelRole:
        default = catalog.default_for(role)
        assert default.source.__class__.__name__ == "PackageSource"
    recommended = [m for m in catalog.models if m.tier == "recommended"]
    names = " ".join(m.name for m in recommended)
    assert "Llama 3.2" in names
    assert "Mistral 7B" in names
    assert "small.en" in names
    assert "en_GB" in names
    for model in recommended:
        assert model.licence
        assert model.hardware.notes
        for model_file in model.files:
            assert model_file.url
            assert model_file.url.startswith("https://")
            assert len(model_file.sha256) == 64


def test_resolve_finds_the_package_file_and_verifies_it(tmp_path: Path, package_dir: Path) -> None:
    resolved = _registry(tmp_path, package_dir).resolve("tiny-llm")
    assert resolved.main_path == package_dir / "model.gguf"


def test_missing_package_names_the_package_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelMissingError) as caught:
        _registry(tmp_path, None).resolve("tiny-llm")
    message = caught.value.paragraph()
    assert "tiny-llm-pkg" in message
    assert "oet-desktop models install tiny-llm" in message


def test_a_changed_file_fails_its_checksum(tmp_path: Path, package_dir: Path) -> None:
    registry = _registry(tmp_path, package_dir)
    registry.resolve("tiny-llm")
    tampered = bytearray(CONTENT)
    tampered[10] ^= 0xFF
    (package_dir / "model.gguf").write_bytes(bytes(tampered))
    os.utime(package_dir / "model.gguf", ns=(1, 1))  # a different mtime, as any rewrite gives
    with pytest.raises(ModelCorruptError) as caught:
        registry.resolve("tiny-llm")
    assert "failed its checksum" in caught.value.paragraph()
    assert "oet-desktop models install tiny-llm" in caught.value.paragraph()
    status = registry.status("tiny-llm")
    assert status.present
    assert not status.verified


def test_digests_are_cached_across_runs_until_the_file_changes(tmp_path: Path, package_dir: Path) -> None:
    first = ChecksumCache(tmp_path / "cache.json")
    _registry(tmp_path, package_dir, first).resolve("tiny-llm")
    assert (first.misses, first.hits) == (1, 0)
    second = ChecksumCache(tmp_path / "cache.json")  # a new app start reads the saved cache
    _registry(tmp_path, package_dir, second).resolve("tiny-llm")
    assert (second.misses, second.hits) == (0, 1)
    (package_dir / "model.gguf").write_bytes(CONTENT[:-1] + b"!")
    with pytest.raises(ModelCorruptError):
        _registry(tmp_path, package_dir, second).resolve("tiny-llm")
    assert second.misses == 1


def test_unknown_model_lists_the_known_ones(tmp_path: Path, package_dir: Path) -> None:
    with pytest.raises(UnknownModelError, match="tiny-llm"):
        _registry(tmp_path, package_dir).resolve("gpt-5")


def test_malformed_catalogue_names_the_key(tmp_path: Path) -> None:
    broken = _catalog("ab" * 32, 1)
    del broken["models"][0]["files"][0]["sha256"]  # type: ignore[index]
    with pytest.raises(CatalogError, match=r"models\[0\]\.files\[0\]\.sha256: missing"):
        parse_catalog(broken, "catalog.yaml")
    bad_role = _catalog("ab" * 32, 1)
    bad_role["models"][0]["role"] = "vision"  # type: ignore[index]
    with pytest.raises(CatalogError, match=r"models\[0\]\.role: 'vision' is not one of"):
        parse_catalog(bad_role, "catalog.yaml")


def test_in_the_installed_app_a_bundled_model_is_repaired_by_reinstalling_the_app(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    import httpx

    from oet_desktop.core.errors import UserFacingError
    from oet_desktop.core.models.installer import install_model

    registry = _registry(tmp_path, None)
    entry = registry.entry("tiny-llm")
    assert registry.fix_command(entry) == "oet-desktop models install tiny-llm"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert "reinstall OET Speaking practice" in registry.fix_command(entry)
    ran: list[list[str]] = []
    with pytest.raises(UserFacingError, match="comes inside the installed app"):
        install_model(registry, entry, httpx.Client(), run=lambda argv: ran.append(list(argv)) or 0)
    assert ran == []  # never `oet-desktop -m pip …`
