"""The profile's settings: their defaults, reading them, saving one (with what the change sets off), and the
language-model server's API key, which lives in the system keyring, never in the profile."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any

from oet_desktop.core.engines import EngineSet
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.settings import EngineSettings
from oet_desktop.core.storage.keys import KEYRING_SERVICE, KeyringKeys
from oet_desktop.core.storage.repository import RETENTION_SETTING, ProfileRepository
from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger(__name__)

SETTING_DEFAULTS: dict[str, Any] = {
    "input_device": None, "output_device": None, "endpoint_ms": 700, "turn_mode": "half_duplex", "gpu": "auto",
    RETENTION_SETTING: None, "model_llm": None, "model_stt": None, "model_tts": None, "llm_server_url": None,
    "llm_server_model": None,
}
"""Every setting the window edits, with the value it has until the candidate changes it."""
ENGINE_SETTINGS = ("model_llm", "model_stt", "model_tts", "gpu", "llm_server_url", "llm_server_model")
"""The settings that choose the engines."""
API_KEY_ENTRY = "llm-server-api-key"
"""The keyring entry holding the language-model server's API key."""


def read_settings(storage: StorageThread) -> dict[str, Any]:
    """Every setting, with its default where the profile has none."""
    return storage.call(lambda repo: {key: repo.setting(key, default) for key, default in SETTING_DEFAULTS.items()})


def wanted_engine_settings(saved: dict[str, Any], current: EngineSettings, api_key: str | None) -> EngineSettings:
    """The engine settings the profile asks for (what it leaves unset keeps the current value)."""
    server = saved.get("llm_server_url") or current.llm_server_url
    return replace(current, llm_model=saved.get("model_llm") or current.llm_model,
                   stt_model=saved.get("model_stt") or current.stt_model,
                   tts_model=saved.get("model_tts") or current.tts_model, gpu=saved.get("gpu") or current.gpu,
                   llm_server_url=server, llm_server_model=saved.get("llm_server_model") or current.llm_server_model,
                   llm_server_api_key=(api_key or current.llm_server_api_key) if server else None)


def apply_engine_settings(storage: StorageThread, engines: EngineSet, api_key: str | None = None) -> bool:
    """Use the models, GPU setting and server saved in the profile; True when the engines changed (they are
    built again, and loaded on next use)."""
    saved = storage.call(lambda repo: {key: repo.setting(key) for key in ENGINE_SETTINGS})
    return engines.reconfigure(wanted_engine_settings(saved, engines.settings, api_key))


@dataclass(frozen=True)
class SettingSaved:
    """What saving one setting did besides saving it."""

    engines_changed: bool = False
    audio_sessions_removed: int = 0
    """Role-plays whose recordings the new retention period deleted."""
    bytes_freed: int = 0
    """How much smaller the profile's file became."""

    def message(self) -> str:
        """One line for the candidate."""
        removed = self.audio_sessions_removed
        return "Saved." + (f" Recordings of {removed} older role-play(s) were deleted"
                           f"{freed_text(self.bytes_freed)}." if removed else "")


def freed_text(bytes_freed: int) -> str:
    """", freeing 12.3 MB" (nothing when nothing was freed)."""
    return f", freeing {bytes_freed / 1e6:.1f} MB" if bytes_freed > 0 else ""


def save_setting(storage: StorageThread, engines: EngineSet, key: str, value: object,
                 api_key: str | None = None) -> SettingSaved:
    """Save one setting and apply it: engines are reconfigured for a model or server change, and a shorter
    retention period deletes older recordings at once."""
    if key not in SETTING_DEFAULTS:
        raise UserFacingError(f"There is no setting called {key!r}.",
                              f"The settings are: {', '.join(SETTING_DEFAULTS)}.")
    storage.call(lambda repo: repo.save_setting(key, value))
    changed = apply_engine_settings(storage, engines, api_key) if key in ENGINE_SETTINGS else False
    if key != RETENTION_SETTING:
        return SettingSaved(changed)
    removed = storage.call(ProfileRepository.apply_retention)
    return SettingSaved(changed, removed.sessions, removed.bytes_freed)


class ApiKeys:
    """The language-model server's API key in the system keyring (``backend`` is the keyring module)."""

    def __init__(self, backend: Any, service: str = KEYRING_SERVICE) -> None:
        self._backend = backend
        self._service = service

    def get(self) -> str | None:
        """The saved key, or None."""
        try:
            value = self._backend.get_password(self._service, API_KEY_ENTRY)
        except Exception as error:  # no usable keyring: the server is used without a key
            log.warning("the API key could not be read from the keyring: %s", error)
            return None
        return str(value) if value else None

    def set(self, key: str) -> None:
        """Save ``key`` (refused when there is no secure keyring: never kept in plain text)."""
        key = key.strip()
        if not key:
            raise UserFacingError("The API key is empty.", "Paste the key your server gave you.")
        if not KeyringKeys(self._backend, self._service).available():
            raise UserFacingError("There is no secure system keyring to keep the API key in.",
                                  "Set up a keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential "
                                  "Manager) and try again; the key is never kept in plain text.")
        try:
            self._backend.set_password(self._service, API_KEY_ENTRY, key)
        except Exception as error:
            raise UserFacingError(f"The API key could not be saved in the system keyring ({error}).",
                                  "Set up a keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential "
                                  "Manager) and try again; the key is never kept in plain text.") from error

    def clear(self) -> bool:
        """Delete the saved key; True when there was one."""
        if self.get() is None:
            return False
        try:
            self._backend.delete_password(self._service, API_KEY_ENTRY)
        except Exception as error:
            raise UserFacingError(f"The API key could not be removed from the system keyring ({error}).",
                                  "Remove the entry 'llm-server-api-key' of 'oet-desktop' with your "
                                  "system's keyring tool.") from error
        return True
