"""The profile's settings: their defaults, reading them, saving one (with what the change sets off), and the
language-model server's API key, which lives in the system keyring, never in the profile."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

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


PROFILE_TO_ENGINE = {"model_llm": "llm_model", "model_stt": "stt_model", "model_tts": "tts_model", "gpu": "gpu",
                     "llm_server_url": "llm_server_url", "llm_server_model": "llm_server_model"}
"""Each engine setting of the profile and the ``EngineSettings`` field it sets."""


def wanted_engine_settings(saved: dict[str, Any], current: EngineSettings, api_key: str | None,
                           pinned: frozenset[str] = frozenset()) -> EngineSettings:
    """The engine settings the profile asks for. The profile decides (an emptied field means the default
    again), except for the ``pinned`` fields given on the command line, which keep their current value. The
    API key goes only with a server, and is the one saved for that server."""
    defaults = EngineSettings()
    values: dict[str, Any] = {}
    for key, field_name in PROFILE_TO_ENGINE.items():
        if field_name in pinned:
            values[field_name] = getattr(current, field_name)
        else:
            saved_value = saved.get(key)
            values[field_name] = saved_value if saved_value not in (None, "") else getattr(defaults, field_name)
    server = values["llm_server_url"]
    server_key = current.llm_server_api_key if "llm_server_url" in pinned else api_key
    return replace(current, llm_model=values["llm_model"], stt_model=values["stt_model"],
                   tts_model=values["tts_model"], gpu=values["gpu"], llm_server_url=server,
                   llm_server_model=values["llm_server_model"], llm_server_api_key=server_key if server else None)


def saved_server(storage: StorageThread) -> str | None:
    """The language-model server the profile names, if any."""
    value = storage.call(lambda repo: repo.setting("llm_server_url"))
    return str(value) if value else None


def apply_engine_settings(storage: StorageThread, engines: EngineSet, keys: ApiKeys,
                          pinned: frozenset[str] = frozenset()) -> bool:
    """Use the models, GPU setting and server saved in the profile (the ``pinned`` fields keep the command
    line's values); True when the engines changed (they are built again, and loaded on next use)."""
    saved = storage.call(lambda repo: {key: repo.setting(key) for key in ENGINE_SETTINGS})
    server = saved.get("llm_server_url")
    api_key = keys.get(str(server)) if server and "llm_server_url" not in pinned else None
    return engines.reconfigure(wanted_engine_settings(saved, engines.settings, api_key, pinned))


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


def save_setting(storage: StorageThread, engines: EngineSet, key: str, value: object, keys: ApiKeys,
                 pinned: frozenset[str] = frozenset()) -> SettingSaved:
    """Save one setting and apply it: engines are reconfigured for a model or server change, and a shorter
    retention period deletes older recordings at once."""
    if key not in SETTING_DEFAULTS:
        raise UserFacingError(f"There is no setting called {key!r}.",
                              f"The settings are: {', '.join(SETTING_DEFAULTS)}.")
    if key == "llm_server_url" and value:
        server_origin(str(value))  # a clear message for an address that is not one, before it is saved
    storage.call(lambda repo: repo.save_setting(key, value))
    changed = apply_engine_settings(storage, engines, keys, pinned) if key in ENGINE_SETTINGS else False
    if key != RETENTION_SETTING:
        return SettingSaved(changed)
    removed = storage.call(ProfileRepository.apply_retention)
    return SettingSaved(changed, removed.sessions, removed.bytes_freed)


def server_origin(url: str) -> str:
    """A server's scheme, host and port (what an API key is bound to), or a clear error for a bad address."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserFacingError(f"{url!r} is not a server address.",
                              "Give the whole address, for example http://localhost:8080/v1.")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


class ApiKeys:
    """Language-model servers' API keys in the system keyring, one per server (scheme, host and port), so a key
    is only ever sent to the server it was saved for. ``backend`` is the keyring module."""

    def __init__(self, backend: Any, service: str = KEYRING_SERVICE) -> None:
        self._backend = backend
        self._service = service

    @staticmethod
    def _entry(server: str) -> str:
        return f"{API_KEY_ENTRY}:{server_origin(server)}"

    def get(self, server: str) -> str | None:
        """The key saved for ``server``, or None."""
        try:
            value = self._backend.get_password(self._service, self._entry(server))
        except UserFacingError:
            raise
        except Exception as error:  # no usable keyring: the server is used without a key
            log.warning("the API key could not be read from the keyring: %s", error)
            return None
        return str(value) if value else None

    def check_available(self) -> None:
        """A clear error when there is no secure keyring to keep a key in (never kept in plain text)."""
        if not KeyringKeys(self._backend, self._service).available():
            raise UserFacingError("There is no secure system keyring to keep the API key in.",
                                  "Set up a keyring (GNOME Keyring, KWallet, macOS Keychain or Windows Credential "
                                  "Manager) and try again; the key is never kept in plain text.")

    def set(self, server: str, key: str) -> None:
        """Save ``key`` for ``server`` (refused when there is no secure keyring)."""
        key = key.strip()
        if not key:
            raise UserFacingError("The API key is empty.", "Paste the key your server gave you.")
        entry = self._entry(server)
        self.check_available()
        try:
            self._backend.set_password(self._service, entry, key)
        except Exception as error:
            raise UserFacingError(f"The API key could not be saved in the system keyring ({error}).",
                                  "Check that your keyring is unlocked and try again; the key is never kept in "
                                  "plain text.") from error

    def clear(self, server: str) -> bool:
        """Delete the key saved for ``server``; True when there was one."""
        if self.get(server) is None:
            return False
        try:
            self._backend.delete_password(self._service, self._entry(server))
        except Exception as error:
            raise UserFacingError(f"The API key could not be removed from the system keyring ({error}).",
                                  f"Remove the entry '{self._entry(server)}' of '{self._service}' with your "
                                  "system's keyring tool.") from error
        return True
