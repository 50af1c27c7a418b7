"""The application layer's own fast tests: each user action with the real encrypted store where it saves
something, and fakes for the engines (the real-model paths are covered by the integration tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import keyring
import pytest

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.settings import EngineSettings
from oet_desktop.core.storage.keys import PASSPHRASE_ENV
from oet_desktop.core.storage.repository import Profile, ProfileRepository
from oet_desktop.services import practice, profile, settings
from tests.keyring_backend import MemoryKeyring

LIBRARY = ScenarioLibrary.load([bundled_scenarios_dir()])


@dataclass
class FakeEngines:
    """Records the settings it is reconfigured with."""

    settings: EngineSettings = field(default_factory=EngineSettings)
    applied: list[EngineSettings] = field(default_factory=list)

    def reconfigure(self, wanted: EngineSettings) -> bool:
        if wanted == self.settings:
            return False
        self.settings = wanted
        self.applied.append(wanted)
        return True


@pytest.fixture
def gate(tmp_path: Path, memory_keyring: MemoryKeyring) -> profile.ProfileGate:
    return profile.ProfileGate(tmp_path / "data", keyring, {})


def test_a_new_profile_opens_again_and_says_how_it_is_protected(gate: profile.ProfileGate) -> None:
    assert not gate.exists()
    gate.create(Profile("Amira", "nursing")).storage.close()
    assert gate.exists()
    assert not gate.needs_passphrase()
    assert gate.protection() == "key in the system keyring"
    opened = gate.open()
    try:
        owner = opened.storage.call(ProfileRepository.profile)
        assert owner is not None
        assert (owner.name, owner.profession) == ("Amira", "nursing")
        summary = profile.summarise(gate, opened.storage)
        assert (summary.name, summary.sessions, summary.retention_days) == ("Amira", 0, None)
    finally:
        opened.storage.close()


def test_a_passphrase_profile_needs_it_typed_unless_the_environment_has_it(tmp_path: Path,
                                                                            memory_keyring: MemoryKeyring) -> None:
    typed = profile.ProfileGate(tmp_path / "data", keyring, {})
    typed.create(Profile("Amira", "nursing"), passphrase="correct horse battery").storage.close()
    assert typed.needs_passphrase()
    with pytest.raises(UserFacingError):
        typed.open("wrong passphrase here")
    typed.open("correct horse battery").storage.close()
    from_environment = profile.ProfileGate(tmp_path / "data", keyring, {PASSPHRASE_ENV: "correct horse battery"})
    assert not from_environment.needs_passphrase()
    from_environment.open().storage.close()


def test_retention_is_parsed_with_a_clear_message(gate: profile.ProfileGate) -> None:
    assert profile.parse_retention("30") == 30
    assert profile.parse_retention("off") is None
    with pytest.raises(UserFacingError, match="not a number of days"):
        profile.parse_retention("-3")


def test_saving_a_model_setting_reconfigures_the_engines_and_others_do_not(gate: profile.ProfileGate) -> None:
    storage = gate.create(Profile("Amira", "nursing")).storage
    engines = FakeEngines()
    keys = settings.ApiKeys(keyring)
    try:
        saved = settings.save_setting(storage, engines, "endpoint_ms", 900, keys)  # type: ignore[arg-type]
        assert saved == settings.SettingSaved()
        assert engines.applied == []
        assert settings.read_settings(storage)["endpoint_ms"] == 900
        saved = settings.save_setting(storage, engines, "model_llm", "llama-3.2-3b-instruct-q4_k_m",  # type: ignore[arg-type]
                                      keys)
        assert saved.engines_changed
        assert engines.settings.llm_model == "llama-3.2-3b-instruct-q4_k_m"
        with pytest.raises(UserFacingError, match="no setting called"):
            settings.save_setting(storage, engines, "colour", "blue", keys)  # type: ignore[arg-type]
        with pytest.raises(UserFacingError, match="not a server address"):
            settings.save_setting(storage, engines, "llm_server_url", "gpu-box", keys)  # type: ignore[arg-type]
    finally:
        storage.close()


def test_emptying_the_server_or_its_key_in_settings_takes_effect_at_once(gate: profile.ProfileGate) -> None:
    storage = gate.create(Profile("Amira", "nursing")).storage
    engines = FakeEngines()
    keys = settings.ApiKeys(keyring)
    try:
        keys.set("http://gpu-box:8080/v1", "sk-123")
        settings.save_setting(storage, engines, "llm_server_url", "http://gpu-box:8080/v1", keys)  # type: ignore[arg-type]
        assert (engines.settings.llm_server_url, engines.settings.llm_server_api_key) == \
            ("http://gpu-box:8080/v1", "sk-123")
        keys.clear("http://gpu-box:8080/v1")
        settings.apply_engine_settings(storage, engines, keys)  # type: ignore[arg-type]
        assert engines.settings.llm_server_api_key is None
        settings.save_setting(storage, engines, "llm_server_url", None, keys)  # type: ignore[arg-type]
        assert engines.settings.llm_server_url is None
    finally:
        storage.close()


def test_a_key_goes_only_to_its_own_server_and_command_line_choices_stay() -> None:
    current = EngineSettings(llm_server_url="http://a:1/v1", llm_server_api_key="key-for-a", gpu="off")
    saved = {"llm_server_url": "http://b:2/v1", "gpu": "on", "model_llm": "llama-3.2-3b-instruct-q4_k_m"}
    pinned = settings.wanted_engine_settings(saved, current, "key-for-b", frozenset({"llm_server_url", "gpu"}))
    assert (pinned.llm_server_url, pinned.llm_server_api_key, pinned.gpu) == ("http://a:1/v1", "key-for-a", "off")
    assert pinned.llm_model == "llama-3.2-3b-instruct-q4_k_m"
    profile_decides = settings.wanted_engine_settings(saved, current, "key-for-b")
    assert (profile_decides.llm_server_url, profile_decides.llm_server_api_key) == ("http://b:2/v1", "key-for-b")
    local = settings.wanted_engine_settings({}, current, None)
    assert (local.llm_server_url, local.llm_server_api_key, local.gpu) == (None, None, "auto")


def test_api_keys_live_in_the_keyring_per_server_and_are_refused_without_a_secure_one(
        memory_keyring: MemoryKeyring) -> None:
    keys = settings.ApiKeys(keyring)
    assert keys.get("http://gpu-box:8080/v1") is None
    keys.set("http://GPU-box:8080/v1", "  sk-abc  ")
    assert keys.get("http://gpu-box:8080/other/path") == "sk-abc"
    assert keys.get("http://gpu-box:9090/v1") is None
    assert keys.get("https://gpu-box:8080/v1") is None
    assert memory_keyring.entries == {("oet-desktop", f"{settings.API_KEY_ENTRY}:http://gpu-box:8080"): "sk-abc"}
    assert keys.clear("http://gpu-box:8080/v1")
    assert keys.get("http://gpu-box:8080/v1") is None
    assert not keys.clear("http://gpu-box:8080/v1")
    with pytest.raises(UserFacingError, match="empty"):
        keys.set("http://gpu-box:8080/v1", "   ")

    class Plaintext(MemoryKeyring):
        priority = 0.5  # type: ignore[assignment]

    plaintext = Plaintext()
    keyring.set_keyring(plaintext)
    with pytest.raises(UserFacingError, match="no secure system keyring"):
        settings.ApiKeys(keyring).set("http://gpu-box:8080/v1", "sk-abc")
    assert plaintext.entries == {}


def test_a_session_id_sorts_by_time_and_names_the_role_play() -> None:
    scenario = LIBRARY.scenarios["nursing-insulin-start-driver"]
    assert practice.new_session_id(scenario, datetime(2026, 3, 4, 5, 6, 7)) == \
        "20260304-050607-nursing-insulin-start-driver"


def test_the_candidate_turns_must_come_from_exactly_one_source(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError, match="no candidate turns"):
        practice.CandidateTurns.check_choice([], None, False)
    with pytest.raises(UserFacingError, match="one source"):
        practice.CandidateTurns.check_choice([tmp_path / "a.wav"], None, True)
    with pytest.raises(UserFacingError, match="does not exist"):
        practice.CandidateTurns.check_choice([], tmp_path / "missing.txt", False)
    empty = tmp_path / "empty.txt"
    empty.write_text("# only a comment\n\n", encoding="utf-8")
    with pytest.raises(UserFacingError, match="no turns"):
        practice.CandidateTurns.check_choice([], empty, False)


def test_an_unknown_role_play_is_a_clear_message() -> None:
    with pytest.raises(UserFacingError, match="no role-play called 'nope'"):
        practice.find_scenario(LIBRARY, "nope")
    with pytest.raises(UserFacingError, match="No role-play was chosen"):
        practice.find_scenario(LIBRARY, None)
