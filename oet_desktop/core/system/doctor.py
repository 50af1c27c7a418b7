"""`oet-desktop doctor`: the machine, the models and a short live speed check, with verdicts."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oet_desktop import __version__
from oet_desktop.core.audio.types import Samples
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.system.hardware import HardwareReport, collect_hardware
from oet_desktop.core.system.speed import CLINICAL_SENTENCES, SpeedCheck, check_llm, check_stt, synthesise_clips

log = logging.getLogger(__name__)


@dataclass
class DoctorReport:
    """Everything `doctor` found."""

    hardware: HardwareReport
    models: list[dict[str, Any]]
    speed: list[SpeedCheck] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Things that limit use but are not failures (no microphone on a server, no keyring)."""

    @property
    def ok(self) -> bool:
        """True when every default model is verified and no live check failed to run."""
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "app_version": __version__,
            "ok": self.ok,
            "hardware": self.hardware.as_dict(),
            "models": self.models,
            "speed": {check.engine: check.as_dict() for check in self.speed},
            "problems": self.problems,
            "warnings": self.warnings,
        }


def model_report(registry: ModelRegistry) -> tuple[list[dict[str, Any]], list[str]]:
    """Each catalogue model's state; problems for default models that are missing or corrupt."""
    rows: list[dict[str, Any]] = []
    problems: list[str] = []
    for status in registry.statuses():
        entry = status.entry
        rows.append({
            "id": entry.id, "role": entry.role.value, "tier": entry.tier, "name": entry.name,
            "size_mb": round(entry.size_bytes / 1e6, 1), "present": status.present, "verified": status.verified,
            "path": str(status.root) if status.root and status.present else None, "problem": status.problem,
        })
        if entry.tier == "default" and not status.verified and status.problem:
            problems.append(status.problem)
    return rows, problems


def run_doctor(registry: ModelRegistry, engines: EngineSet | None, live: bool = True) -> DoctorReport:
    """Collect the report; with ``live``, load the default engines and time them briefly."""
    models, problems = model_report(registry)
    report = DoctorReport(collect_hardware(), models, problems=problems)
    if report.hardware.audio_problem:
        report.warnings.append(report.hardware.audio_problem)
    if not report.hardware.keyring_usable:
        report.warnings.append(
            "No usable keyring was found, so your practice data will be protected with a passphrase you choose."
        )
    from oet_desktop.core.system.llama_build import missing_features, require_runnable

    if missing_features():
        try:
            require_runnable()
        except UserFacingError as error:
            report.problems.append(error.paragraph())
    if not live or engines is None:
        return report
    broken_roles = {row["role"] for row in models if row["tier"] == "default" and not row["verified"]}

    def attempt(engine: str, check: Callable[[], SpeedCheck]) -> None:
        if engine in broken_roles:
            return  # its model problem is already listed
        try:
            report.speed.append(check())
        except UserFacingError as exc:
            report.problems.append(exc.paragraph())
        except Exception as exc:  # the doctor reports what is wrong instead of failing itself
            log.exception("doctor: %s check failed", engine)
            report.problems.append(f"The {engine.upper()} check failed: {exc.__class__.__name__}: {exc}")

    clips: list[Samples] = []

    def voice_check() -> SpeedCheck:
        check, spoken = synthesise_clips(engines.voice(), CLINICAL_SENTENCES[:3])
        clips.extend(spoken)
        return check

    attempt("tts", voice_check)
    if clips:
        attempt("stt", lambda: check_stt(engines.transcriber(), clips, engines.model_id(ModelRole.STT)))
    if not missing_features():  # otherwise the problem is listed above, once
        attempt("llm", lambda: check_llm(engines.language_model()))
    order = {"stt": 0, "llm": 1, "tts": 2}
    report.speed.sort(key=lambda check: order[check.engine])
    return report


def format_report(report: DoctorReport) -> str:
    """The human-readable report."""
    hw = report.hardware
    lines = [
        f"oet-desktop {__version__} doctor",
        "",
        "Machine",
        f"  OS            {hw.os} (Python {hw.python})",
        f"  CPU           {hw.cpu}: {hw.physical_cores} cores / {hw.logical_cores} threads; "
        f"features {', '.join(hw.cpu_flags) or 'none detected'}",
        f"  Memory        {hw.ram_total_gb} GB total, {hw.ram_available_gb} GB available",
        f"  llama.cpp     {hw.llama_build} build",
        f"  GPU (LLM)     {'yes' if hw.llama_gpu_offload else 'no'}: {hw.llama_gpu_reason}",
        f"  GPU (speech)  {hw.cuda_devices_for_stt} CUDA device(s)",
        f"  Keyring       {hw.keyring_backend} ({'usable' if hw.keyring_usable else 'not usable'})",
        f"  Microphones   {'; '.join(hw.audio_inputs) or 'none'}",
        f"  Speakers      {'; '.join(hw.audio_outputs) or 'none'}",
    ]
    lines += ["", "Models"]
    for row in report.models:
        state = "verified" if row["verified"] else ("present, CORRUPT" if row["present"] else "not installed")
        if row["tier"] != "default" and not row["present"]:
            state += " (optional download)"
        lines.append(f"  {row['role']:<9} {row['id']:<42} {row['size_mb']:>7} MB  {state}")
    if report.speed:
        lines += ["", "Speed on this machine"]
        for check in report.speed:
            mark = "OK  " if check.fast_enough else "SLOW"
            lines.append(f"  [{mark}] {check.engine.upper():<4} {check.model} on {check.device}: {check.verdict}")
            if check.device_reason:
                lines.append(f"         {check.device_reason}")
    if report.warnings:
        lines += ["", "Warnings"]
        lines += [f"  - {w}" for w in report.warnings]
    if report.problems:
        lines += ["", "Problems"]
        lines += [f"  - {p}" for p in report.problems]
    lines += ["", "All checks passed." if report.ok else "Some checks failed: see Problems above."]
    return "\n".join(lines)
