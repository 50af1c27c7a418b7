"""The encrypted profile as a user meets it from the command line: `practice` saves into it as it goes (a role-play
killed half-way keeps its turns), `history` and `report` read it, keys come from the keyring or
OET_DESKTOP_PASSPHRASE or a clear message, and export → erase → import brings everything back."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.conftest import user_environment
from tests.integration.test_cli import CLI, assert_one_paragraph, run_cli

pytestmark = pytest.mark.models

SCENARIO = "nursing-catheter-care-home"


@pytest.fixture(scope="module")
def practised(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A user (keyring present) who has practised one demo role-play."""
    env = user_environment(tmp_path_factory.mktemp("home"))
    result = run_cli("practice", "--demo", "--fast", "--scenario", SCENARIO, env=env, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "Created your encrypted profile" in result.stderr
    assert "key in the system keyring" in result.stderr
    assert "Saved in your profile as" in result.stdout
    return env


def test_practice_saves_into_the_encrypted_profile_and_history_lists_it(practised: dict[str, str]) -> None:
    keyring_file = json.loads(Path(practised["OET_TEST_KEYRING_FILE"]).read_text())
    assert list(keyring_file) == ["oet-desktop/profile:default:db-key"]
    database = Path(practised["XDG_DATA_HOME"]) / "oet-desktop" / "profiles" / "default" / "profile.db"
    data = database.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert b"catheter" not in data.lower()
    result = run_cli("history", "--json", env=practised)
    assert result.returncode == 0, result.stderr
    sessions = json.loads(result.stdout)
    assert len(sessions) == 1
    assert sessions[0]["scenario_id"] == SCENARIO
    assert sessions[0]["status"] == "finished"
    assert len(sessions[0]["scores"]) == 9
    report = run_cli("report", "latest", "--json", env=practised)
    assert report.returncode == 0, report.stderr
    assert json.loads(report.stdout)["session_id"] == sessions[0]["session_id"]


def test_export_erase_import_from_the_command_line(practised: dict[str, str], tmp_path: Path) -> None:
    env = {**practised}
    before = run_cli("report", "latest", "--json", env=env).stdout
    archive = tmp_path / "all.zip"
    exported = run_cli("profile", "export", str(archive), env=env)
    assert exported.returncode == 0, exported.stderr
    assert "Exported 1 role-play(s), 2 audio file(s) and 1 PDF report(s)" in exported.stdout
    assert "not encrypted" in exported.stdout
    with zipfile.ZipFile(archive) as opened:
        assert any(name.endswith("candidate.wav") for name in opened.namelist())
    assert_one_paragraph(run_cli("profile", "erase", env=env), "needs confirmation", "--yes")
    erased = run_cli("profile", "erase", "--yes", env=env)
    assert erased.returncode == 0, erased.stderr
    assert "keyring entry 'default'" in erased.stdout
    assert json.loads(Path(env["OET_TEST_KEYRING_FILE"]).read_text()) == {}
    assert_one_paragraph(run_cli("history", env=env), "There is no profile")
    assert run_cli("profile", "create", "--profession", "nursing", env=env).returncode == 0
    imported = run_cli("profile", "import", str(archive), env=env)
    assert imported.returncode == 0, imported.stderr
    assert "Imported 1 role-play(s)" in imported.stdout
    assert run_cli("report", "latest", "--json", env=env).stdout == before


def test_with_no_keyring_and_no_passphrase_practice_stops_at_once_with_a_clear_message(tmp_path: Path) -> None:
    env = {**user_environment(tmp_path / "home"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    began = time.monotonic()
    result = run_cli("practice", "--demo", "--fast", "--scenario", SCENARIO, env=env, timeout=60)
    assert time.monotonic() - began < 30  # before any model loads, and never waiting for input
    assert_one_paragraph(result, "no system keyring", "OET_DESKTOP_PASSPHRASE")
    assert not (tmp_path / "home" / "data" / "oet-desktop" / "profiles" / "default" / "profile.db").exists()


def test_a_passphrase_from_the_environment_and_a_wrong_one(tmp_path: Path) -> None:
    env = {**user_environment(tmp_path / "home"), "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
           "OET_DESKTOP_PASSPHRASE": "violet harbour lamp"}
    created = run_cli("profile", "create", "--profession", "medicine", "--name", "Dr Ana Ruiz", env=env)
    assert created.returncode == 0, created.stderr
    assert "protected by your passphrase" in created.stdout
    shown = run_cli("profile", "show", env=env)
    assert "Dr Ana Ruiz, medicine" in shown.stdout
    assert_one_paragraph(run_cli("history", env={**env, "OET_DESKTOP_PASSPHRASE": "violet harbour lamps"}),
                         "The passphrase does not open", "has not been changed")
    assert_one_paragraph(run_cli("history", env={**env, "OET_DESKTOP_PASSPHRASE": ""}),
                         "protected by a passphrase, and none was given", "OET_DESKTOP_PASSPHRASE")
    changed = run_cli("profile", "passphrase", env={**env, "OET_DESKTOP_NEW_PASSPHRASE": "amber river kite"})
    assert changed.returncode == 0, changed.stderr
    assert_one_paragraph(run_cli("history", env=env), "The passphrase does not open")
    assert run_cli("history", env={**env, "OET_DESKTOP_PASSPHRASE": "amber river kite"}).returncode == 0


def test_a_role_play_killed_half_way_keeps_every_turn_up_to_the_kill(tmp_path: Path) -> None:
    env = {**os.environ, **user_environment(tmp_path / "home"), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([CLI, "practice", "--demo", "--fast", "--scenario", SCENARIO], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    heard = []
    try:
        for line in process.stdout:
            if line.startswith("candidate: "):
                heard.append(line.removeprefix("candidate: ").strip())
                if len(heard) == 3:
                    time.sleep(1.0)  # the third turn's save is queued at once and written in milliseconds
                    process.send_signal(signal.SIGKILL)
                    break
    finally:
        process.kill()
        process.wait(30)
    assert len(heard) == 3
    history = run_cli("history", "--json", env=env)
    assert history.returncode == 0, history.stderr
    assert "Kept 1 role-play(s) cut short earlier" in history.stderr
    sessions = json.loads(history.stdout)
    assert [s["status"] for s in sessions] == ["interrupted"]
    report = run_cli("report", "latest", "--json", env=env)
    assert report.returncode == 0, report.stderr
    said = [line["text"] for line in json.loads(report.stdout)["transcript"]
            if line["speaker"] == "candidate"]
    assert said[:3] == heard


def test_a_read_only_data_folder_is_a_clear_message_before_the_role_play(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a read-only tmpfs needs root (CI runs as root)")
    data = tmp_path / "ro"
    data.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,ro", "tmpfs", str(data)], check=True)
    try:
        env = {**user_environment(tmp_path / "home"), "XDG_DATA_HOME": str(data)}
        result = run_cli("practice", "--demo", "--fast", "--scenario", SCENARIO, env=env, timeout=60)
        assert_one_paragraph(result, "read-only")
        assert "Demo:" not in result.stdout  # nothing was synthesised or played first
    finally:
        subprocess.run(["umount", "-l", str(data)], check=False)
