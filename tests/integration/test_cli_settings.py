"""What the command line offers instead of the placeholders a review found: choosing an installed model by its
catalogue id, keeping a language-model server's API key in the keyring (never in a file of ours), `profile show`
without a sync line before sync exists, and, without a display, a message naming what to run instead."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oet_desktop.core.errors import UserFacingError
from oet_desktop.services.context import build_context
from oet_desktop.ui.launch import has_display, run_window
from tests.conftest import user_environment
from tests.integration.test_cli import assert_one_paragraph, run_cli


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return user_environment(tmp_path / "home")


def test_an_unknown_model_id_is_one_paragraph_naming_the_choices(env: dict[str, str]) -> None:
    result = run_cli("--llm", "gpt-nine", "scenarios", "list", env=env)
    assert_one_paragraph(result, "'gpt-nine' is not a llm model", "smollm2-135m-instruct-q4_1")


def test_a_recommended_model_that_is_not_installed_says_how_to_install_it(env: dict[str, str]) -> None:
    result = run_cli("--llm", "llama-3.2-3b-instruct-q4_k_m", "scenarios", "list", env=env)
    assert_one_paragraph(result, "oet-desktop models install llama-3.2-3b-instruct-q4_k_m")


@pytest.mark.models
def test_the_default_model_chosen_by_id_is_used(env: dict[str, str], tmp_path: Path) -> None:
    typed = tmp_path / "turns.txt"
    typed.write_text("Hello, I'm Sam, one of the nurses.\nWhat do you know about insulin?\n", encoding="utf-8")
    result = run_cli("--stt", "whisper-tiny.en", "--voice", "piper-en_US-joe-medium", "practice", "--scenario",
                     "nursing-insulin-start-driver", "--typed", str(typed), env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Saved in your profile as" in result.stdout


def test_a_server_key_is_kept_in_the_keyring_for_that_server_only_and_never_printed(env: dict[str, str]) -> None:
    server = "http://GPU-box:8080/v1"
    assert run_cli("server-key", "status", server, env=env).stdout.strip() == \
        "No API key is saved for http://gpu-box:8080."
    missing = run_cli("server-key", "set", server, env=env)
    assert_one_paragraph(missing, "No API key was given", "OET_DESKTOP_SERVER_KEY")
    assert_one_paragraph(run_cli("server-key", "set", "gpu-box", env=env), "is not a server address")
    saved = run_cli("server-key", "set", server, env={**env, "OET_DESKTOP_SERVER_KEY": "sk-secret-123"})
    assert saved.returncode == 0, saved.stderr
    assert "sk-secret-123" not in saved.stdout + saved.stderr
    keyring_file = json.loads(Path(env["OET_TEST_KEYRING_FILE"]).read_text())
    assert keyring_file == {"oet-desktop/llm-server-api-key:http://gpu-box:8080": "sk-secret-123"}
    status = run_cli("server-key", "status", "http://gpu-box:8080/other", env=env)
    assert status.stdout.strip() == "An API key is saved for http://gpu-box:8080."
    assert "sk-secret" not in status.stdout
    other = run_cli("server-key", "status", "http://elsewhere:8080/v1", env=env)
    assert other.stdout.strip() == "No API key is saved for http://elsewhere:8080."
    cleared = run_cli("server-key", "clear", server, env=env)
    assert cleared.stdout.strip() == "The API key for http://gpu-box:8080 was removed."
    assert json.loads(Path(env["OET_TEST_KEYRING_FILE"]).read_text()) == {}


def test_profile_show_has_no_sync_line_before_sync_exists(env: dict[str, str]) -> None:
    created = run_cli("profile", "create", "--profession", "nursing", "--name", "Amira", env=env)
    assert created.returncode == 0, created.stderr
    shown = run_cli("profile", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    assert "Profile:     Amira, nursing" in shown.stdout
    labels = [line.split(":")[0].strip().lower() for line in shown.stdout.splitlines()]
    assert labels == ["profile", "folder", "protection", "role-plays", "audio kept"]


def test_without_a_display_the_window_names_the_command_that_works_without_one(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    assert not has_display({}, "linux")
    with pytest.raises(UserFacingError) as raised:
        run_window(build_context())
    assert "oet-desktop practice --demo" in raised.value.paragraph()
