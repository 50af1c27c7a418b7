"""`oet-desktop bench engines`: speed and memory of the default engines, written to JSON."""

from __future__ import annotations

import platform
import resource
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from oet_desktop import __version__
from oet_desktop.core.audio.files import read_audio
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.system.hardware import cpu_description
from oet_desktop.core.system.speed import CLINICAL_SENTENCES, check_llm, check_stt, synthesise_clips


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1 << 20) if sys.platform == "darwin" else peak / 1024, 1)


def run_engine_benchmark(engines: EngineSet, audio_files: list[Path], llm_repeats: int = 5) -> dict[str, Any]:
    """Load every default engine, time each, and report peak memory with everything loaded."""
    load_seconds: dict[str, float] = {}
    for name, engine in (("stt", engines.transcriber()), ("llm", engines.language_model()),
                         ("tts", engines.voice()), ("embedding", engines.embedder())):
        began = time.perf_counter()
        engine.load()
        load_seconds[name] = round(time.perf_counter() - began, 3)
    tts, clips = synthesise_clips(engines.voice(), CLINICAL_SENTENCES)
    stt_model = engines.model_id(ModelRole.STT)
    results = {"tts": tts.as_dict(), "stt_synthesised": check_stt(engines.transcriber(), clips, stt_model).as_dict()}
    if audio_files:
        recorded = [read_audio(path) for path in audio_files]
        results["stt_recorded"] = check_stt(engines.transcriber(), recorded, stt_model).as_dict()
    results["llm"] = check_llm(engines.language_model(), repeats=llm_repeats).as_dict()
    began = time.perf_counter()
    engines.embedder().embed(list(CLINICAL_SENTENCES))
    results["embedding"] = {"seconds_for_5_sentences": round(time.perf_counter() - began, 4)}
    brand, flags = cpu_description()
    return {
        "app_version": __version__,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"os": platform.platform(), "cpu": brand, "logical_cores": psutil.cpu_count(),
                    "cpu_flags": flags, "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
                    "llm_device": engines.language_model().info.device},
        "models": {role.value: engines.model_id(role) for role in ModelRole},
        "load_seconds": load_seconds,
        "results": results,
        "peak_rss_mb_all_loaded": peak_rss_mb(),
        "targets": {"real_time_factor_max": 0.3, "peak_rss_mb_max": 1536},
    }
