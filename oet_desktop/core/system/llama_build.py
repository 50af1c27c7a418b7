"""Which llama.cpp build the app carries (its flavour: portable CPU, CUDA, Metal, Vulkan) and whether this
processor can run it: the portable CPU build needs AVX2, and without it llama.cpp would stop the app with an
illegal instruction, so the app checks first and says so instead."""

from __future__ import annotations

import importlib.util
import platform
import subprocess
import sys
from pathlib import Path

from oet_desktop.core.errors import EngineError

X86_NEEDS = ("sse4_2", "avx", "avx2", "bmi2", "fma", "f16c")
"""What the portable x86 build of llama.cpp assumes (ggml's baseline with GGML_NATIVE off)."""
_FLAVOUR_LIBRARIES = (("cuda", "CUDA"), ("metal", "Metal"), ("vulkan", "Vulkan"), ("hip", "ROCm"),
                      ("sycl", "SYCL"))


def _library_folder() -> Path | None:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent / "lib"


def flavour(library_folder: Path | None = None) -> str:
    """The llama.cpp build's flavour, from the backend libraries it ships (never imports it)."""
    folder = library_folder if library_folder is not None else _library_folder()
    if folder is None or not folder.is_dir():
        return "not installed"
    names = " ".join(p.name.lower() for p in folder.iterdir())
    for key, label in _FLAVOUR_LIBRARIES:
        if f"ggml-{key}" in names:
            return label
    return "CPU (portable)" if _is_x86() else "CPU"


def _is_x86() -> bool:
    return platform.machine().lower() in ("x86_64", "amd64", "i686", "x86")


def cpu_flags() -> set[str] | None:
    """The processor's instruction-set features that matter here, or None where they cannot be read."""
    if not _is_x86():
        return None
    try:
        if sys.platform.startswith("linux"):
            for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
            return None
        if sys.platform == "darwin":
            out = subprocess.run(["sysctl", "-n", "machdep.cpu.features", "machdep.cpu.leaf7_features"],
                                 capture_output=True, text=True, timeout=5, check=False).stdout
            names = {"AVX1.0": "avx", "SSE4.2": "sse4_2", "AVX2": "avx2", "BMI2": "bmi2", "FMA": "fma",
                     "F16C": "f16c"}
            return {names.get(word, word.lower()) for word in out.split()}
        if sys.platform == "win32":
            import ctypes

            present = ctypes.windll.kernel32.IsProcessorFeaturePresent  # type: ignore[attr-defined]
            # PF_AVX2_INSTRUCTIONS_AVAILABLE (40): older Windows builds do not know it and answer False even on
            # processors that have AVX2, so only a True answer is taken as knowledge
            return set(X86_NEEDS) if present(40) else None
    except (OSError, subprocess.SubprocessError, AttributeError):
        return None
    return None


def missing_features(flags: set[str] | None = None, build: str | None = None) -> list[str]:
    """What the portable CPU build needs that this processor lacks (empty when it can run, or when unknown)."""
    build = build or flavour()
    if build in ("Metal", "CPU", "not installed"):
        return []  # Apple's and non-x86 builds; x86 GPU builds still load ggml's CPU backend, same baseline
    flags = cpu_flags() if flags is None else flags
    if flags is None:
        return []
    return [feature for feature in X86_NEEDS if feature not in flags]


def require_runnable(flags: set[str] | None = None, build: str | None = None) -> None:
    """An :class:`EngineError` naming what is missing, before llama.cpp is loaded on a processor it would
    crash on."""
    missing = missing_features(flags, build)
    if missing:
        raise EngineError(
            f"This computer's processor lacks {', '.join(f.upper() for f in missing)}, which the language model "
            "(llama.cpp, portable build) needs; loading it would stop the app.",
            "Use a computer made since about 2015 (Intel Haswell or AMD Excavator onwards), or point the app "
            "at a language-model server with --llm-server (or in Settings).")
