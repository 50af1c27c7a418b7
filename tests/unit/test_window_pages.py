"""The window's pages with pytest-qt on the real core (no models): every action reachable by keyboard, the
library's filters, the exam preparation clock, feedback evidence jumping to the transcript, and unlocking a
passphrase profile (a wrong passphrase is a message in the window and changes nothing)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import keyring
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTextBrowser,
    QTreeWidget,
    QWidget,
)
from pytestqt.qtbot import QtBot

from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir, setting_kind
from oet_desktop.core.paths import AppPaths
from oet_desktop.core.storage.keys import PASSPHRASE_ENV, KeyringKeys
from oet_desktop.core.storage.profile import KeySource, ProfileLocation, create_profile
from oet_desktop.core.storage.repository import Profile
from oet_desktop.services.context import build_context
from oet_desktop.services.workspace import Workspace
from oet_desktop.ui.main_window import MainWindow
from oet_desktop.ui.pages.feedback import FeedbackPage
from oet_desktop.ui.pages.first_run import FirstRunPage
from oet_desktop.ui.pages.history import HistoryPage
from oet_desktop.ui.pages.library import LibraryPage
from oet_desktop.ui.pages.preparation import PreparationPage
from oet_desktop.ui.pages.roleplay import RolePlayPage
from oet_desktop.ui.pages.settings import SettingsPage
from oet_desktop.ui.pages.unlock import UnlockPage
from oet_desktop.ui.tasks import Tasks
from tests.keyring_backend import MemoryKeyring
from tests.report_samples import sample_feedback_report

LIBRARY = ScenarioLibrary.load([bundled_scenarios_dir()])
INTERACTIVE = (QAbstractButton, QComboBox, QLineEdit, QListWidget, QPlainTextEdit, QSpinBox, QTableWidget,
               QTextBrowser, QTreeWidget)




def _pages(qtbot: QtBot) -> list[QWidget]:
    pages: list[QWidget] = [
        FirstRunPage(True, lambda *args: None), UnlockPage(), LibraryPage(), PreparationPage(), RolePlayPage(),
        FeedbackPage(), HistoryPage(), SettingsPage(build_context().catalog, True),
    ]
    for page in pages:
        qtbot.addWidget(page)
    return pages


def test_every_action_is_reachable_by_keyboard(qtbot: QtBot) -> None:
    for page in _pages(qtbot):
        widgets = [w for w in page.findChildren(QWidget) if isinstance(w, INTERACTIVE)
                   and not isinstance(w.parentWidget(), INTERACTIVE)]  # not a field's own clear button
        assert widgets, type(page).__name__
        for widget in widgets:
            assert widget.focusPolicy() & Qt.FocusPolicy.TabFocus, f"{type(page).__name__}: {widget!r}"
        for button in page.findChildren(QPushButton):
            assert "&" in button.text(), f"{type(page).__name__}: {button.text()!r} has no Alt shortcut"


def test_library_filters_by_profession_difficulty_setting_practised_and_text(qtbot: QtBot) -> None:
    page = LibraryPage()
    qtbot.addWidget(page)
    page.set_library(LIBRARY, {"nursing-insulin-start-driver"}, "nursing")
    nursing = [s for s in LIBRARY.scenarios.values() if s.profession.value == "nursing"]
    assert page.list.count() == len(nursing)
    assert page.preview.toPlainText().startswith(page.visible_scenarios()[0].title)
    page.unpractised.setChecked(True)
    assert page.list.count() == len(nursing) - 1
    page.profession.setCurrentIndex(0)
    page.unpractised.setChecked(False)
    assert page.list.count() == len(LIBRARY.scenarios)
    page.difficulty.setCurrentIndex(page.difficulty.findData(3))
    assert {s.difficulty for s in page.visible_scenarios()} == {3}
    page.difficulty.setCurrentIndex(0)
    page.setting.setCurrentIndex(page.setting.findData("Home or care home"))
    assert page.visible_scenarios()
    assert all(setting_kind(s.setting) == "Home or care home" for s in page.visible_scenarios())
    page.setting.setCurrentIndex(0)
    qtbot.keyClicks(page.search, "zzzz no such words")
    assert page.list.count() == 0
    assert "No role-play matches" in page.preview.toPlainText()
    assert not page.prepare_button.isEnabled()


def test_the_exam_preparation_clock_starts_the_role_play_when_time_is_up(qtbot: QtBot) -> None:
    page = PreparationPage()
    qtbot.addWidget(page)
    page.preparation_s = 0.5
    scenario = LIBRARY.get("nursing-insulin-start-driver")
    assert scenario is not None
    page.show_scenario(scenario)
    qtbot.keyClicks(page.notes, "ask about driving")
    with qtbot.waitSignal(page.start_requested, timeout=3000) as started:
        pass
    assert started.args == ["nursing-insulin-start-driver", "exam", "ask about driving", False]


def test_evidence_quotes_jump_to_their_moment_in_the_transcript(qtbot: QtBot) -> None:
    page = FeedbackPage()
    qtbot.addWidget(page)
    report = sample_feedback_report()
    page.show_report(report, has_audio=False)
    assert len(page.chart.rows) == 9
    assert "Estimated score 330" in page.estimate.text()
    assert report.estimate is not None
    assert page.disclaimer.text() == report.estimate.disclaimer  # the estimate's own disclaimer, word for word
    assert not page.play_button.isEnabled()  # recordings deleted: playback says why instead
    quote_item = None
    for index in range(page.evidence.topLevelItemCount()):
        top = page.evidence.topLevelItem(index)
        for child in range(top.childCount()):
            for grandchild in range(top.child(child).childCount()):
                candidate = top.child(child).child(grandchild)
                if candidate.data(0, Qt.ItemDataRole.UserRole) == 40.6:
                    quote_item = candidate
    assert quote_item is not None
    page.evidence.itemActivated.emit(quote_item, 0)
    assert page.tabs.currentIndex() == 1
    assert page.transcript.currentItem().text().startswith("[0:40] You: Um, two puffs")


def test_a_wrong_passphrase_is_a_message_in_the_window_and_changes_nothing(
        qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    paths = AppPaths(tmp_path / "data", tmp_path / "cache", tmp_path / "log")
    location = ProfileLocation.in_data_dir(paths.data_dir)
    create_profile(location, KeySource(KeyringKeys(keyring), {PASSPHRASE_ENV: "harbour lantern six"}),
                   Profile("Amira", "nursing")).close()
    before = hashlib.sha256(location.db_path.read_bytes()).hexdigest()
    context = build_context(paths)
    window = MainWindow(Workspace(context, keyring, {}), Tasks())
    qtbot.addWidget(window)
    window.show()
    window.start()
    assert window.pages.currentWidget() is window.unlock_page
    qtbot.keyClicks(window.unlock_page.passphrase, "harbour lantern seven")
    qtbot.keyClick(window.unlock_page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "does not open" in window.unlock_page.message.text(), timeout=10_000)
    assert "has not been changed" in window.unlock_page.message.text()
    assert hashlib.sha256(location.db_path.read_bytes()).hexdigest() == before
    assert not window.navigation.isEnabled()
    window.unlock_page.passphrase.clear()
    qtbot.keyClicks(window.unlock_page.passphrase, "harbour lantern six")
    qtbot.keyClick(window.unlock_page.passphrase, Qt.Key.Key_Return)
    qtbot.waitUntil(window.navigation.isEnabled, timeout=10_000)
    qtbot.waitUntil(lambda: window.library_page.list.count() > 0, timeout=10_000)
    assert window.library_page.profession.currentData() == "nursing"
    window.close()


def test_leaving_preparation_stops_the_exam_clock(qtbot: QtBot) -> None:
    page = PreparationPage()
    qtbot.addWidget(page)
    page.show()
    page.preparation_s = 0.4
    scenario = LIBRARY.get("nursing-insulin-start-driver")
    assert scenario is not None
    page.show_scenario(scenario)
    page.hide()  # the candidate went to History instead
    with qtbot.assertNotEmitted(page.start_requested, wait=1000):
        pass


def test_typing_a_retention_period_saves_once_when_finished(qtbot: QtBot) -> None:
    page = SettingsPage(build_context().catalog, True)
    qtbot.addWidget(page)
    page.show()
    page.load({"audio_retention_days": 90}, [])
    saved: list[tuple[str, object]] = []
    page.changed.connect(lambda key, value: saved.append((key, value)))
    page.retention.setFocus()
    page.retention.lineEdit().selectAll()
    qtbot.keyClicks(page.retention, "30")
    assert saved == []  # "3" alone must never be saved: it would delete recordings older than 3 days
    qtbot.keyClick(page.retention, Qt.Key.Key_Return)
    assert saved == [("audio_retention_days", 30)]


def test_typing_instead_of_speaking(qtbot: QtBot) -> None:
    """The preparation page's "type instead" choice reaches the role-play, whose box sends a typed turn on Enter
    (and shows the typed turn's prompt instead of "listening")."""
    from oet_desktop.core.practice.live_practice import LiveState, LiveStatus

    preparation = PreparationPage()
    qtbot.addWidget(preparation)
    scenario = LIBRARY.get("nursing-insulin-start-driver")
    assert scenario is not None
    preparation.show_scenario(scenario)
    preparation.practice.setChecked(True)
    preparation.typed.setChecked(True)
    with qtbot.waitSignal(preparation.start_requested, timeout=3000) as started:
        qtbot.mouseClick(preparation.start_button, Qt.MouseButton.LeftButton)
    assert started.args[3] is True

    page = RolePlayPage()
    qtbot.addWidget(page)
    page.begin("Insulin", "", False, False, typed_only=True)
    page.attach(lambda: LiveStatus(LiveState.LISTENING, 1.0, None))
    page.refresh()
    assert page.state_label.text().startswith("Your turn: type")
    assert page.meter.isHidden()
    qtbot.keyClicks(page.type_box, "How are you feeling about the insulin?")
    with qtbot.waitSignal(page.typed, timeout=1000) as sent:
        qtbot.keyClick(page.type_box, Qt.Key.Key_Return)
    assert sent.args == ["How are you feeling about the insulin?"]
    assert page.type_box.text() == ""
    page.stop_polling()


def test_the_about_box_shows_the_one_version(qtbot: QtBot, tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    import importlib.metadata

    paths = AppPaths(tmp_path / "data", tmp_path / "cache", tmp_path / "log")
    window = MainWindow(Workspace(build_context(paths), keyring, {}), Tasks())
    qtbot.addWidget(window)
    help_menu = next(a.menu() for a in window.menuBar().actions() if a.text() == "&Help")
    assert [a.text() for a in help_menu.actions()] == ["&About OET Speaking practice"]
    assert importlib.metadata.version("oet-desktop") in window.about_text()
    window.close()
