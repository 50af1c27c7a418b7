"""What the window works with: the app's services (built once), the unlocked profile and the role-play
library. Every method here may block and is called through :class:`~oet_desktop.ui.tasks.Tasks`, never on the
UI thread."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from oet_desktop.app import AppContext
from oet_desktop.core.assessment.progress import ProgressReport, build_progress
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.content.library import ScenarioLibrary
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.storage.keys import DatabaseKey, KeyringKeys, passphrase_key
from oet_desktop.core.storage.profile import (
    KeySource,
    ProfileLocation,
    create_profile,
    open_profile,
)
from oet_desktop.core.storage.repository import Profile, ProfileRepository, SessionListing
from oet_desktop.core.storage.worker import StorageThread

log = logging.getLogger(__name__)
ENGINE_SETTINGS = ("model_llm", "model_stt", "model_tts", "gpu")
"""Profile settings that choose the engines."""


class _GivenPassphrase(KeySource):
    """A key source whose passphrase is the one typed into the window (never an interactive prompt)."""

    def __init__(self, keyring: KeyringKeys, environ: Mapping[str, str], typed: DatabaseKey | None) -> None:
        super().__init__(keyring, environ, ask=None)
        self._typed = typed

    def given_passphrase(self) -> DatabaseKey | None:
        return self._typed or super().given_passphrase()


@dataclass
class Backend:
    """The window's view of the app. ``keyring_backend`` is the keyring module (passed in for tests)."""

    context: AppContext
    keyring_backend: object
    environ: Mapping[str, str]
    storage: StorageThread | None = None
    library: ScenarioLibrary | None = None
    practised: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def location(self) -> ProfileLocation:
        """The profile's folder."""
        return ProfileLocation.in_data_dir(self.context.paths.data_dir)

    @property
    def keyring(self) -> KeyringKeys:
        """Keys in the OS keyring."""
        return KeyringKeys(self.keyring_backend)

    def has_profile(self) -> bool:
        """True when a profile exists (first run otherwise)."""
        return self.location.exists()

    def needs_passphrase(self) -> bool:
        """True when opening needs a passphrase typed in (none in the environment)."""
        return self.location.key_mode() == "passphrase" and not self.environ.get("OET_DESKTOP_PASSPHRASE")

    def create(self, owner: Profile, passphrase: str | None) -> None:
        """Create the encrypted profile (keyring, or ``passphrase`` when given) and unlock it."""
        typed = passphrase_key(passphrase) if passphrase else None
        source = _GivenPassphrase(self.keyring, {} if typed else self.environ, typed)
        self.storage = create_profile(self.location, source, owner, use_passphrase=typed is not None)
        self._after_unlock()

    def unlock(self, passphrase: str | None = None) -> None:
        """Open the profile (with the typed passphrase when it needs one)."""
        typed = passphrase_key(passphrase) if passphrase else None
        self.storage = open_profile(self.location, _GivenPassphrase(self.keyring, self.environ, typed))
        self._after_unlock()

    def _after_unlock(self) -> None:
        assert self.storage is not None
        interrupted = self.storage.call(ProfileRepository.recover_interrupted)
        if interrupted:
            log.info("kept %d interrupted role-play(s)", len(interrupted))
        self.storage.call(ProfileRepository.apply_retention)
        self.practised = self.storage.call(ProfileRepository.practised)
        self.apply_engine_settings()

    def apply_engine_settings(self) -> bool:
        """Use the models and GPU setting saved in the profile (engines are rebuilt, and loaded again on next
        use, only when something changed); True when they changed."""
        saved = self._storage().call(lambda repo: {key: repo.setting(key) for key in ENGINE_SETTINGS})
        current = self.context.engines.settings
        wanted = replace(current, llm_model=saved["model_llm"] or current.llm_model,
                         stt_model=saved["model_stt"] or current.stt_model,
                         tts_model=saved["model_tts"] or current.tts_model, gpu=saved["gpu"] or current.gpu)
        if wanted == current:
            return False
        self.context.engines.unload_all()
        self.context.engines = EngineSet(self.context.registry, wanted)
        return True

    def load_library(self) -> ScenarioLibrary:
        """The bundled and the user's role-plays."""
        self.library = self.context.load_scenarios()
        return self.library

    def owner(self) -> Profile | None:
        """Who is practising."""
        return self._storage().call(ProfileRepository.profile)

    def history(self) -> list[SessionListing]:
        """Past role-plays, newest first."""
        return self._storage().call(ProfileRepository.list_sessions)

    def progress(self) -> ProgressReport:
        """Trends, readiness and what to practise next."""
        reports = self._storage().call(ProfileRepository.all_feedback)
        library = self.library or self.load_library()
        return build_progress(reports, list(library.scenarios.values()))

    def feedback(self, session_id: str) -> FeedbackReport | None:
        """A session's saved feedback."""
        return self._storage().call(lambda repo: repo.load_feedback(session_id))

    def _storage(self) -> StorageThread:
        if self.storage is None:
            raise RuntimeError("the profile is not unlocked")
        return self.storage

    def close(self) -> None:
        """Close the profile (on quit)."""
        if self.storage is not None:
            self.storage.close()
            self.storage = None
