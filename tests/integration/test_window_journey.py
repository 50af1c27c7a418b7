"""The whole journey in the window, on the real stack: first run (encrypted profile, microphone check) → pick a
role-play → prepare → a short role-play whose candidate turns are played into the PulseAudio virtual microphone
→ feedback → PDF exported → after a restart of the app, the same encrypted profile lists the session."""

from __future__ import annotations

import time
from pathlib import Path

import keyring
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from oet_desktop.core.audio.files import resample, write_wav
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.models.catalog import load_catalog
from oet_desktop.core.paths import AppPaths, catalog_path
from oet_desktop.services.context import AppContext
from oet_desktop.services.workspace import Workspace
from oet_desktop.ui.main_window import MainWindow
from oet_desktop.ui.tasks import Tasks
from tests.conftest import VirtualAudio
from tests.keyring_backend import MemoryKeyring

pytestmark = [pytest.mark.audio, pytest.mark.models]

SCENARIO = "nursing-insulin-start-driver"
LIBRARY = ScenarioLibrary.load([bundled_scenarios_dir()])
CANDIDATE = [
    "Hello Mr Qureshi, I'm Sam, the practice nurse.",
    "Can you tell me about your work?",
    "Thank you for your time today. Take care, goodbye.",
]




def _window(qtbot: QtBot, paths: AppPaths, engines: EngineSet) -> MainWindow:
    context = AppContext(paths, load_catalog(catalog_path()), engines.registry, engines)
    window = MainWindow(Workspace(context, keyring, {}), Tasks())
    qtbot.addWidget(window)
    window.show()
    window.start()
    return window


def _speak(engines: EngineSet, folder: Path) -> list[Path]:
    voice = engines.voice()
    wavs = []
    for index, text in enumerate(CANDIDATE):
        audio, rate = voice.speak_all(text)
        wavs.append(folder / f"turn{index}.wav")
        write_wav(wavs[-1], resample(audio, rate, SAMPLE_RATE), SAMPLE_RATE)
    return wavs


def test_first_run_to_feedback_pdf_and_history_after_restart(
        qtbot: QtBot, virtual_audio: VirtualAudio, patient_sink: str, engines: EngineSet,
        memory_keyring: MemoryKeyring, tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "data", tmp_path / "cache", tmp_path / "log")
    wavs = _speak(engines, tmp_path)
    window = _window(qtbot, paths, engines)

    # First run: the profile (key in the keyring), then the microphone check with a real recording.
    qtbot.waitUntil(lambda: window.first_run is not None, timeout=5000)
    assert window.first_run is not None
    step = window.first_run.profile
    qtbot.keyClicks(step.name, "Amira Haddad")
    step.profession.setCurrentIndex(step.profession.findData("nursing"))
    qtbot.mouseClick(step.create_button, Qt.MouseButton.LeftButton)
    microphone = window.first_run.microphone
    qtbot.waitUntil(lambda: window.first_run.steps.currentWidget() is microphone, timeout=20_000)
    assert ("oet-desktop", "profile:default:db-key") in memory_keyring.entries
    qtbot.waitUntil(lambda: microphone.device.count() >= 1, timeout=20_000)  # listed in the background
    assert microphone.record_button.isEnabled()
    qtbot.mouseClick(microphone.record_button, Qt.MouseButton.LeftButton)
    player = virtual_audio.play(wavs[0])
    qtbot.waitUntil(lambda: "Recorded 3 s" in microphone.result.text(), timeout=20_000)
    player.wait(10)
    assert "dBFS" in microphone.result.text()
    qtbot.mouseClick(microphone.next_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.first_run.models.finish_button, Qt.MouseButton.LeftButton)

    # The library, filtered to the candidate's profession; pick the role-play and prepare.
    library = window.library_page
    qtbot.waitUntil(lambda: library.list.count() > 0, timeout=20_000)
    assert library.profession.currentData() == "nursing"
    qtbot.keyClicks(library.search, "insulin")
    rows = [library.list.item(n).data(Qt.ItemDataRole.UserRole) for n in range(library.list.count())]
    assert SCENARIO in rows
    library.list.setCurrentRow(rows.index(SCENARIO))
    card = " ".join(library.preview.toPlainText().split())
    scenario = LIBRARY.get(SCENARIO)
    assert scenario is not None
    assert card.startswith(scenario.title)  # the preview is this role-play's candidate card
    assert all(" ".join(task.text.split()) in card for task in scenario.candidate.tasks)
    qtbot.mouseClick(library.prepare_button, Qt.MouseButton.LeftButton)
    preparation = window.preparation_page
    assert window.pages.currentWidget() is preparation
    preparation.practice.setChecked(True)
    qtbot.keyClicks(preparation.notes, "ask about work and driving")
    qtbot.mouseClick(preparation.start_button, Qt.MouseButton.LeftButton)

    # The role-play: the candidate's turns go into the virtual microphone, one after each reply.
    roleplay = window.roleplay_page
    assert window.pages.currentWidget() is roleplay
    qtbot.waitUntil(lambda: window.live is not None, timeout=120_000)
    live = window.live
    time.sleep(3.0)  # the virtual microphone's first callback takes about 2 s
    for index, wav in enumerate(wavs):
        assert virtual_audio.play(wav).wait(30) == 0
        qtbot.waitUntil(lambda i=index: len(live.record.turns) > i and bool(live.record.turns[i].reply_text),
                        timeout=30_000)
        if index < len(wavs) - 1:
            qtbot.waitUntil(lambda: not live.engine.patient_speaking, timeout=30_000)
            qtbot.wait(600)

    def captions_show_both_sides() -> bool:
        """Every candidate turn as heard and every patient reply as said, each under its speaker."""
        shown = " ".join(roleplay.captions.toPlainText().split())
        for turn in list(live.record.turns):
            said = turn.heard_text if turn.heard_seconds is not None and turn.heard_text else turn.reply_text
            if turn.candidate_text and f"You: {' '.join(turn.candidate_text.split())}" not in shown:
                return False
            if said and f"Patient: {' '.join(said.split())}" not in shown:
                return False
        return True

    qtbot.waitUntil(captions_show_both_sides, timeout=5000)
    shown = roleplay.captions.toPlainText()
    assert shown.count("You:") >= len(wavs)
    assert shown.count("Patient:") >= len(wavs)

    # Feedback, scored and saved; evidence jumps to the transcript; the PDF is written.
    feedback = window.feedback_page
    qtbot.waitUntil(lambda: window.pages.currentWidget() is feedback, timeout=180_000)
    assert feedback.report is not None
    assert len(feedback.chart.rows) == 9
    assert feedback.transcript.count() >= 6
    assert "Patient:" in feedback.transcript.item(1).text()
    assert feedback.steps.count() == 3
    assert feedback.estimate.text()
    quoted = feedback.report.transcript[2]
    assert feedback.jump_to(quoted.start) == 2
    assert feedback.transcript.currentRow() == 2
    candidate_line = next(row for row in range(feedback.transcript.count())
                          if "You:" in feedback.transcript.item(row).text())
    feedback.transcript.setCurrentRow(candidate_line)
    qtbot.mouseClick(feedback.play_button, Qt.MouseButton.LeftButton)  # the candidate's own voice, from the store
    assert feedback.status.text() == "Playing…"
    qtbot.waitUntil(lambda: feedback.status.text() == "", timeout=30_000)
    pdf = tmp_path / "feedback.pdf"
    window.export_pdf_to(str(pdf))
    qtbot.waitUntil(pdf.exists, timeout=30_000)
    text = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert feedback.report.scenario_title.split()[0] in text
    session_id = feedback.report.session_id
    window.close()

    # A restart of the app: the same encrypted profile opens from the keyring and lists the session.
    again = _window(qtbot, paths, engines)
    qtbot.waitUntil(lambda: again.navigation.isEnabled(), timeout=20_000)
    again.show_section(1)
    table = again.history_page.table
    qtbot.waitUntil(lambda: table.rowCount() == 1, timeout=20_000)
    assert table.item(0, 0).data(Qt.ItemDataRole.UserRole) == session_id
    assert table.item(0, 2).text() == "finished"
    again.history_page.table.selectRow(0)
    qtbot.mouseClick(again.history_page.open_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: again.pages.currentWidget() is again.feedback_page, timeout=20_000)
    assert again.feedback_page.report is not None
    assert again.feedback_page.report.session_id == session_id
    again.close()
