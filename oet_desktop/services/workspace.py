"""What the window works with: the app's services (built once), the unlocked profile and the role-play library,
and one method per thing the candidate does in the window. Every method may block: the window calls them on a
background task, never on its own thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oet_desktop.core.assessment.progress import ProgressReport
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.devices import AudioDevice
from oet_desktop.core.audio.types import Track
from oet_desktop.core.content.library import ScenarioLibrary
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.live_practice import LivePractice
from oet_desktop.core.practice.session import Mode
from oet_desktop.core.storage.archive import ExportSummary
from oet_desktop.core.storage.repository import Profile, ProfileRepository, SessionListing
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.core.system.doctor import DoctorReport
from oet_desktop.services import feedback, models, practice, profile, settings
from oet_desktop.services.context import AppContext
from oet_desktop.services.practice import Finished, OpenInput, OpenOutput

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SettingsView:
    """What the settings page shows: the values, the sound devices, whether this build can use a GPU, and
    whether a server API key is saved."""

    values: dict[str, Any]
    devices: list[AudioDevice]
    gpu_build: bool
    api_key_saved: bool


@dataclass
class Workspace:
    """The window's view of the app. ``keyring_backend`` is the keyring module (passed in for tests);
    ``open_microphone``/``open_speaker`` open the devices a role-play uses."""

    context: AppContext
    keyring_backend: Any
    environ: Mapping[str, str]
    open_microphone: OpenInput = practice.microphone
    open_speaker: OpenOutput = practice.speaker
    storage: StorageThread | None = None
    library: ScenarioLibrary | None = None
    practised: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def gate(self) -> profile.ProfileGate:
        """The profile's location and where its key comes from."""
        return profile.ProfileGate(self.context.paths.data_dir, self.keyring_backend, self.environ)

    @property
    def api_keys(self) -> settings.ApiKeys:
        """The language-model server's API key in the keyring."""
        return settings.ApiKeys(self.keyring_backend)

    # --- opening -----------------------------------------------------------------------------------
    def has_profile(self) -> bool:
        """True when a profile exists (first run otherwise)."""
        return self.gate.exists()

    def needs_passphrase(self) -> bool:
        """True when opening needs a passphrase typed in."""
        return self.gate.needs_passphrase()

    def keyring_available(self) -> bool:
        """True when a secure system keyring can keep the profile's key."""
        return self.gate.keyring.available()

    def create(self, owner: Profile, passphrase: str | None) -> None:
        """Create the encrypted profile (keyring, or ``passphrase`` when given) and unlock it."""
        self._opened(self.gate.create(owner, passphrase))

    def unlock(self, passphrase: str | None = None) -> None:
        """Open the profile (with the typed passphrase when it needs one)."""
        self._opened(self.gate.open(passphrase))

    def _opened(self, opened: profile.OpenedProfile) -> None:
        self.storage = opened.storage
        self.practised = opened.storage.call(ProfileRepository.practised)
        settings.apply_engine_settings(opened.storage, self.context.engines, self.api_keys, self.context.pinned)

    def owner(self) -> Profile | None:
        """Who is practising."""
        return self._storage().call(ProfileRepository.profile)

    def load_library(self) -> ScenarioLibrary:
        """The bundled and the user's role-plays."""
        self.library = self.context.load_scenarios()
        return self.library

    def check_models(self) -> DoctorReport:
        """The machine, the models and their speed (the first run's check)."""
        return models.check(self.context, live=True)

    # --- history and feedback ------------------------------------------------------------------------
    def history(self) -> list[SessionListing]:
        """Past role-plays, newest first."""
        return feedback.history(self._storage())

    def progress(self) -> ProgressReport:
        """Trends, readiness and what to practise next."""
        library = self.library or self.load_library()
        return feedback.saved_progress(self._storage(), list(library.scenarios.values()))

    def saved_feedback(self, session_id: str) -> feedback.SavedFeedback:
        """A past role-play's feedback, and whether its recording is kept."""
        return feedback.saved_feedback(self._storage(), session_id)

    def play(self, session_id: str, track: Track, start_s: float, end_s: float) -> None:
        """Play a stretch of a role-play's recording (returns when it has played)."""
        feedback.play_recording(self._storage(), session_id, track, start_s, end_s)

    @staticmethod
    def export_pdf(report: FeedbackReport, path: Path) -> Path:
        """A role-play's feedback as a PDF."""
        return feedback.write_report_pdf(report, path)

    # --- role-plays ----------------------------------------------------------------------------------
    def warm_up(self) -> None:
        """Load the engines a role-play needs (while the candidate prepares)."""
        practice.warm_up(self.context)

    def start_role_play(self, scenario_id: str, mode: Mode, typed: bool = False) -> LivePractice:
        """Open the devices, load the engines and begin a role-play, saved as it goes."""
        library = self.library or self.load_library()
        scenario = practice.find_scenario(library, scenario_id)
        return practice.start_live_practice(self.context, self._storage("save the role-play"), scenario, mode,
                                            typed, self.open_microphone, self.open_speaker)

    def finish_role_play(self, live: LivePractice, end_early: bool = False) -> Finished:
        """End the role-play, save it, score it and save the feedback."""
        finished = practice.finish_live_practice(self.context, self._storage("save the role-play"), live,
                                                 end_early)
        self.practised = finished.practised
        return finished

    @staticmethod
    def abandon_role_play(live: LivePractice) -> None:
        """The app is closing mid role-play: stop, save everything heard and mark it interrupted."""
        practice.abandon_live_practice(live)

    # --- settings ------------------------------------------------------------------------------------
    def settings_view(self) -> SettingsView:
        """The settings, the sound devices, GPU support and whether an API key is saved."""
        from oet_desktop.core.audio.devices import list_devices
        from oet_desktop.core.llm.llama_cpp_backend import build_supports_gpu

        values = settings.read_settings(self._storage())
        try:
            devices = list_devices()
        except Exception as error:  # no sound system: the page still shows, with the system default only
            log.info("no sound devices listed: %s", error)
            devices = []
        server = values.get("llm_server_url")
        return SettingsView(values, devices, build_supports_gpu(), bool(server and self.api_keys.get(server)))

    def save_setting(self, key: str, value: object) -> settings.SettingSaved:
        """Save one setting and apply it."""
        return settings.save_setting(self._storage("save the setting"), self.context.engines, key, value,
                                     self.api_keys, self.context.pinned)

    def save_api_key(self, key: str | None) -> bool:
        """Keep the API key of the server named in Settings in the keyring (None or empty removes it); the
        engines use it from now on. True when a key is saved."""
        storage = self._storage("save the key")
        server = settings.saved_server(storage)
        if server is None:
            raise UserFacingError("There is no language-model server to save a key for.",
                                  "Enter the server's address first; the key is kept for that server only.")
        if key and key.strip():
            self.api_keys.set(server, key)
        else:
            self.api_keys.clear(server)
        settings.apply_engine_settings(storage, self.context.engines, self.api_keys, self.context.pinned)
        return self.api_keys.get(server) is not None

    def export(self, path: Path) -> ExportSummary:
        """Everything in the profile as one ZIP."""
        return profile.export_everything(self._storage("export"), path)

    def change_passphrase(self, passphrase: str) -> None:
        """Protect the profile with a new passphrase."""
        self.gate.protect_with_passphrase(self._storage("change the passphrase"), passphrase)

    def erase(self) -> list[str]:
        """Close and delete the profile, its audio, its key and the API key of the server it names; what was
        removed."""
        server = settings.saved_server(self.storage) if self.storage is not None else None
        self.close()
        removed = self.gate.erase()
        if server and self.api_keys.clear(server):
            removed.append(f"the API key for {settings.server_origin(server)}")
        return removed

    # --- closing -------------------------------------------------------------------------------------
    def _storage(self, action: str = "open it") -> StorageThread:
        if self.storage is None:
            raise UserFacingError(f"Your practice data is locked, so the app could not {action}.",
                                  "Unlock it and try again.")
        return self.storage

    def close(self) -> None:
        """Close the profile (on quit)."""
        if self.storage is not None:
            self.storage.close()
            self.storage = None
