"""Closing the window mid role-play (the real window, the real models, the real encrypted store): the
role-play stops, everything said so far is saved, and it is kept as interrupted, not left in progress."""

from __future__ import annotations

from pathlib import Path

import keyring
import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from oet_desktop.core.audio.memory import RecordingOutput
from oet_desktop.core.audio.types import Track
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.paths import AppPaths
from oet_desktop.core.storage.keys import KeyringKeys
from oet_desktop.core.storage.profile import KeySource, ProfileLocation, create_profile, open_profile
from oet_desktop.core.storage.repository import Profile, ProfileRepository
from oet_desktop.services.context import AppContext
from oet_desktop.services.workspace import Workspace
from oet_desktop.ui.main_window import MainWindow
from oet_desktop.ui.tasks import Tasks
from tests.keyring_backend import MemoryKeyring

pytestmark = [pytest.mark.models, pytest.mark.timeout(600)]
SCENARIO = "nursing-insulin-start-driver"
TURNS = ("Hello, I'm Sam, one of the nurses. Could you tell me what you know about insulin?",
         "What worries you most about starting it?")


def test_closing_the_window_mid_role_play_keeps_it_as_interrupted(
        qtbot: QtBot, engines: EngineSet, memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "data", tmp_path / "cache", tmp_path / "log")
    location = ProfileLocation.in_data_dir(paths.data_dir)
    create_profile(location, KeySource(KeyringKeys(keyring), {}), Profile("Amira", "nursing")).close()
    speaker = RecordingOutput()
    workspace = Workspace(AppContext(paths, engines.registry.catalog, engines.registry, engines), keyring, {},
                          open_speaker=lambda _device: speaker)
    window = MainWindow(workspace, Tasks())
    qtbot.addWidget(window)
    window.show()
    window.start()
    qtbot.waitUntil(lambda: window.library_page.list.count() > 0, timeout=20_000)
    window.prepare(SCENARIO)
    window.preparation_page.practice.setChecked(True)
    window.preparation_page.typed.setChecked(True)
    window.preparation_page.start_button.click()
    qtbot.waitUntil(lambda: window.live is not None, timeout=120_000)
    live = window.live
    assert live is not None
    for number, text in enumerate(TURNS, start=1):
        qtbot.keyClicks(window.roleplay_page.type_box, text)
        qtbot.keyClick(window.roleplay_page.type_box, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda n=number: len([t for t in live.record.turns if t.candidate_text]) >= n
                        and bool(live.record.turns[-1].reply_text), timeout=60_000)
    heard = [t.candidate_text for t in live.record.turns if t.candidate_text]
    session_id = live.session_id

    window.close()  # mid role-play: no "End" pressed

    assert workspace.storage is None  # the profile was closed
    storage = open_profile(location, KeySource(KeyringKeys(keyring), {}))
    try:
        listing = storage.call(ProfileRepository.list_sessions)
        assert [(s.session_id, s.status) for s in listing] == [(session_id, "interrupted")]
        saved = storage.call(lambda repo: repo.load_session(session_id))
        assert saved is not None
        assert [t["candidate_text"] for t in saved.data["turns"] if t.get("candidate_text")] == heard
        patient = storage.call(lambda repo: repo.track(session_id, Track.PATIENT, Track.PATIENT.sample_rate))
        assert patient is not None
        assert patient.size > Track.PATIENT.sample_rate
    finally:
        storage.close()
