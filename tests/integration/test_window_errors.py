"""Problems a user can meet, in the window on the real stack: no microphone, the microphone unplugged mid
role-play, a model missing, a full disk. Each is a clear message in the window, and no saved work is lost."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
import yaml
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from oet_desktop.core.audio.devices import refresh_devices
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import parse_catalog
from oet_desktop.core.models.checksums import ChecksumCache
from oet_desktop.core.models.registry import ModelRegistry
from oet_desktop.core.paths import AppPaths, catalog_path
from oet_desktop.core.settings import EngineSettings
from oet_desktop.core.storage.keys import KeyringKeys
from oet_desktop.core.storage.profile import KeySource, ProfileLocation, create_profile
from oet_desktop.core.storage.repository import Profile, ProfileRepository
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.services.context import AppContext
from oet_desktop.services.workspace import Workspace
from oet_desktop.ui.main_window import MainWindow
from oet_desktop.ui.tasks import Tasks
from tests.conftest import VirtualAudio
from tests.keyring_backend import MemoryKeyring

pytestmark = pytest.mark.models
SCENARIO = "nursing-insulin-start-driver"




def _ready_window(qtbot: QtBot, data: Path, engines: EngineSet, **devices: Any) -> MainWindow:
    """A window on an existing profile (key in the keyring), unlocked, with the library shown."""
    paths = AppPaths(data, data.parent / "cache", data.parent / "log")
    location = ProfileLocation.in_data_dir(paths.data_dir)
    if not location.exists():
        create_profile(location, KeySource(KeyringKeys(keyring), {}), Profile("Amira", "nursing")).close()
    context = AppContext(paths, engines.registry.catalog, engines.registry, engines)
    window = MainWindow(Workspace(context, keyring, {}), Tasks(), **devices)
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.library_page.list.count() > 0, timeout=20_000)
    return window


def _start(qtbot: QtBot, window: MainWindow) -> None:
    window.prepare(SCENARIO)
    window.preparation_page.practice.setChecked(True)
    window.preparation_page.start_button.click()


def test_no_microphone_is_a_message_and_the_role_play_does_not_start(
        qtbot: QtBot, engines: EngineSet, memory_keyring: MemoryKeyring, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    window = _ready_window(qtbot, tmp_path / "data", engines)
    empty = tmp_path / "no-sound-server"
    empty.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(empty))
    refresh_devices()
    try:
        _start(qtbot, window)
        qtbot.waitUntil(window.banner.isVisible, timeout=20_000)
    finally:
        monkeypatch.undo()
        refresh_devices()
    assert "No microphone was found" in window.banner.text.text()
    assert window.pages.currentWidget() is window.preparation_page
    assert window.navigation.isEnabled()
    window.close()


@pytest.fixture
def own_sound_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """A private PulseAudio server with a virtual microphone, which the test may kill (the shared one stays)."""
    runtime = tmp_path / "pulse-run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    subprocess.run(["pulseaudio", "-D", "--exit-idle-time=-1", "-n", "--load=module-native-protocol-unix"],
                   env=env, check=True, capture_output=True)
    deadline = time.monotonic() + 10
    while subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        assert time.monotonic() < deadline, "PulseAudio did not start"
        time.sleep(0.1)
    for command in (["load-module", "module-null-sink", "sink_name=vsink"],
                    ["load-module", "module-virtual-source", "source_name=vmic", "master=vsink.monitor"],
                    ["set-default-source", "vmic"], ["set-default-sink", "vsink"]):
        subprocess.run(["pactl", *command], env=env, check=True, capture_output=True)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    refresh_devices()
    try:
        yield env
    finally:
        subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True)
        monkeypatch.undo()
        refresh_devices()


def test_a_microphone_unplugged_mid_role_play_is_a_message_and_the_role_play_is_kept(
        qtbot: QtBot, engines: EngineSet, memory_keyring: MemoryKeyring, tmp_path: Path,
        own_sound_server: dict[str, str]) -> None:
    window = _ready_window(qtbot, tmp_path / "data", engines)
    _start(qtbot, window)
    qtbot.waitUntil(lambda: window.live is not None, timeout=120_000)
    time.sleep(3.0)  # the microphone is delivering audio
    assert window.live.microphone.error is None
    subprocess.run(["pulseaudio", "--kill"], env=own_sound_server, check=True)  # the sound device goes away
    qtbot.waitUntil(lambda: window.banner.isVisible() and "stopped delivering audio" in window.banner.text.text(),
                    timeout=60_000)
    assert "everything said so far is saved" in window.banner.text.text()
    storage = window.workspace.storage
    assert storage is not None
    listing = storage.call(ProfileRepository.list_sessions)
    assert [s.status for s in listing] == ["interrupted"]
    assert listing[0].scenario_id == SCENARIO
    window.close()


def test_a_missing_model_is_a_message_naming_it_and_how_to_install_it(
        qtbot: QtBot, virtual_audio: VirtualAudio, patient_sink: str, memory_keyring: MemoryKeyring,
        tmp_path: Path) -> None:
    raw = yaml.safe_load(catalog_path().read_text())
    raw["models"][0]["source"]["module"] = "no_such_whisper_package"
    registry = ModelRegistry(parse_catalog(raw, "edited"), tmp_path / "models", ChecksumCache(tmp_path / "c.json"))
    window = _ready_window(qtbot, tmp_path / "data", EngineSet(registry, EngineSettings()))
    _start(qtbot, window)
    qtbot.waitUntil(window.banner.isVisible, timeout=60_000)
    text = window.banner.text.text()
    assert "whisper-tiny.en" in text
    assert "oet-desktop models install whisper-tiny.en" in text
    assert window.pages.currentWidget() is window.preparation_page
    window.close()




def test_a_full_disk_is_a_message_and_loses_nothing_saved(
        qtbot: QtBot, engines: EngineSet, memory_keyring: MemoryKeyring, small_disk: Path) -> None:
    window = _ready_window(qtbot, small_disk / "data", engines)
    storage = window.workspace.storage
    assert storage is not None
    storage.call(lambda repo: repo.save_setting("endpoint_ms", 800))
    with (small_disk / "ballast").open("wb") as ballast:
        try:
            while True:
                ballast.write(b"\0" * 65536)
                ballast.flush()
        except OSError:
            pass
    window.show_section(2)
    endpoint = window.settings_page.endpoint
    qtbot.waitUntil(lambda: endpoint.value() == 800, timeout=10_000)
    endpoint.setFocus()
    qtbot.keyClick(endpoint, Qt.Key.Key_Up)  # the user lengthens the pause: 900 ms, saved at once
    assert endpoint.value() == 900
    qtbot.waitUntil(window.banner.isVisible, timeout=20_000)
    assert "the disk is full" in window.banner.text.text()
    window.close()
    (small_disk / "ballast").unlink()
    location = ProfileLocation.in_data_dir(small_disk / "data")
    again = StorageThread(location.db_path, KeyringKeys(keyring).get("default"), page_size=location.page_size())
    try:
        assert again.call(lambda repo: repo.setting("endpoint_ms")) == 800  # the saved value, intact
    finally:
        again.close()


@pytest.fixture
def small_disk(mount_tmpfs: Callable[[str], Path]) -> Path:
    return mount_tmpfs("8m")
