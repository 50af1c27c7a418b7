"""What this machine has: OS, CPU features, memory, GPU support of the engines, audio, keyring."""

from __future__ import annotations

import os
import platform
from dataclasses import asdict, dataclass, field
from typing import Any

import psutil

from oet_desktop.core.errors import UserFacingError

INTERESTING_CPU_FLAGS = ("sse4_2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_vnni", "amx_tile", "neon")


@dataclass
class HardwareReport:
    """A snapshot of the machine, for `doctor` and for recommending models."""

    os: str
    python: str
    cpu: str
    physical_cores: int
    logical_cores: int
    cpu_flags: list[str]
    ram_total_gb: float
    ram_available_gb: float
    llama_gpu_offload: bool
    llama_gpu_reason: str
    llama_build: str
    """The llama.cpp flavour the app carries (portable CPU, CUDA, Metal…)."""
    cuda_devices_for_stt: int
    keyring_backend: str
    keyring_usable: bool
    audio_inputs: list[str] = field(default_factory=list)
    audio_outputs: list[str] = field(default_factory=list)
    audio_problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def cpu_description() -> tuple[str, list[str]]:
    """CPU brand and the SIMD features that matter for llama.cpp and CTranslate2."""
    try:
        import cpuinfo

        info = cpuinfo.get_cpu_info()
        flags = {str(f) for f in info.get("flags", [])}
        brand = str(info.get("brand_raw") or platform.processor() or platform.machine())
    except Exception:
        flags, brand = set(), platform.processor() or platform.machine()
    return brand, [f for f in INTERESTING_CPU_FLAGS if f in flags]


def keyring_state() -> tuple[str, bool]:
    """The keyring backend's name and whether it can store secrets (the fail/null backends cannot)."""
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        usable = not isinstance(backend, fail.Keyring) and float(getattr(backend, "priority", 0)) > 0
        return name, usable
    except Exception as exc:
        return f"unavailable ({exc})", False


def collect_hardware() -> HardwareReport:
    """Gather the report (fast: no model loads)."""
    from oet_desktop.core.audio.devices import list_devices
    from oet_desktop.core.llm.llama_cpp_backend import CPU_ONLY_BUILD_REASON, build_supports_gpu
    from oet_desktop.core.system.llama_build import flavour

    brand, flags = cpu_description()
    memory = psutil.virtual_memory()
    gpu = build_supports_gpu()
    try:
        import ctranslate2

        cuda = int(ctranslate2.get_cuda_device_count())
    except Exception:
        cuda = 0
    backend, usable = keyring_state()
    inputs: list[str] = []
    outputs: list[str] = []
    problem: str | None = None
    try:
        for device in list_devices():
            if device.input_channels:
                inputs.append(device.name + (" (default)" if device.is_default_input else ""))
            if device.output_channels:
                outputs.append(device.name + (" (default)" if device.is_default_output else ""))
        if not inputs:
            problem = "No microphone was found. Connect a headset or enable a microphone in the sound settings."
    except UserFacingError as exc:
        problem = exc.paragraph()
    return HardwareReport(
        os=platform.platform(),
        python=platform.python_version(),
        cpu=brand,
        physical_cores=psutil.cpu_count(logical=False) or os.cpu_count() or 1,
        logical_cores=psutil.cpu_count(logical=True) or os.cpu_count() or 1,
        cpu_flags=flags,
        ram_total_gb=round(memory.total / 2**30, 1),
        ram_available_gb=round(memory.available / 2**30, 1),
        llama_gpu_offload=gpu,
        llama_gpu_reason="This llama.cpp build can offload to a GPU." if gpu else CPU_ONLY_BUILD_REASON,
        llama_build=flavour(),
        cuda_devices_for_stt=cuda,
        keyring_backend=backend,
        keyring_usable=usable,
        audio_inputs=inputs,
        audio_outputs=outputs,
        audio_problem=problem,
    )
