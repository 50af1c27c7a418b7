"""The llama.cpp build the app carries, and the clear message (not an illegal-instruction crash) on a processor
the portable CPU build cannot run on."""

from __future__ import annotations

from pathlib import Path

import pytest

from oet_desktop.core.errors import EngineError
from oet_desktop.core.system import llama_build


def _library(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "lib"
    folder.mkdir()
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_the_flavour_is_read_from_the_backend_libraries(tmp_path: Path) -> None:
    assert llama_build.flavour(_library(tmp_path, "libllama.so", "libggml-cuda.so", "libggml-cpu.so")) == "CUDA"
    assert llama_build.flavour(tmp_path / "missing") == "not installed"


def test_this_machine_runs_the_installed_build() -> None:
    assert llama_build.flavour() in ("CPU (portable)", "CPU", "CUDA", "Metal", "Vulkan")
    assert llama_build.missing_features() == []
    llama_build.require_runnable()


def test_a_processor_without_avx2_gets_a_message_naming_it_and_what_to_do() -> None:
    old_cpu = {"sse4_2", "avx"}
    assert llama_build.missing_features(old_cpu, "CPU (portable)") == ["avx2", "bmi2", "fma", "f16c"]
    assert llama_build.missing_features(old_cpu, "CUDA") == ["avx2", "bmi2", "fma", "f16c"]
    with pytest.raises(EngineError) as raised:
        llama_build.require_runnable(old_cpu, "CPU (portable)")
    text = raised.value.paragraph()
    assert "lacks AVX2, BMI2, FMA, F16C" in text
    assert "--llm-server" in text


def test_a_metal_build_or_a_processor_that_cannot_be_read_is_not_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    assert llama_build.missing_features({"sse4_2"}, "Metal") == []
    monkeypatch.setattr(llama_build, "cpu_flags", lambda: None)  # e.g. Windows without the AVX2 query
    assert llama_build.missing_features(None, "CPU (portable)") == []
