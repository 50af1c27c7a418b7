"""The main window: navigation (role-plays, history, settings), the pages, an error banner for problems the
user can meet, and the status bar. It shows at once; the profile, the library and the models load behind it."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QThreadPool, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from oet_desktop import __version__
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.types import Track
from oet_desktop.core.content.library import ScenarioLibrary
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.live_practice import LivePractice
from oet_desktop.core.practice.session import Mode
from oet_desktop.core.settings import EngineSettings
from oet_desktop.core.storage.repository import Profile
from oet_desktop.core.system.doctor import format_report
from oet_desktop.services.feedback import SavedFeedback
from oet_desktop.services.practice import Finished, preload_native_libraries
from oet_desktop.services.settings import SettingSaved
from oet_desktop.services.workspace import SettingsView, Workspace
from oet_desktop.ui.pages.feedback import FeedbackPage
from oet_desktop.ui.pages.first_run import FirstRunPage
from oet_desktop.ui.pages.history import HistoryPage
from oet_desktop.ui.pages.library import LibraryPage
from oet_desktop.ui.pages.preparation import PreparationPage
from oet_desktop.ui.pages.roleplay import RolePlayPage
from oet_desktop.ui.pages.settings import SettingsPage
from oet_desktop.ui.pages.unlock import UnlockPage
from oet_desktop.ui.tasks import Tasks

log = logging.getLogger(__name__)
NAVIGATION = ("Role-plays", "History", "Settings")
CLOSE_WAIT_MS = 30_000
"""How long closing waits for background work (finishing a role-play waits up to 15 s for the patient)."""


def _serial_pool() -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    return pool


def describe(error: BaseException) -> str:
    """What the user reads about an error: our one paragraph, or the error itself."""
    return error.paragraph() if isinstance(error, UserFacingError) else f"Something went wrong: {error}"


class ErrorBanner(QWidget):
    """A dismissable message at the top of the window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorBanner")
        self.setStyleSheet("#errorBanner { background: #fdecea; border: 1px solid #c62828; border-radius: 4px; }"
                           "#errorBanner QLabel { color: #7f1d1d; }")
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setAccessibleName("Problem")
        close = QPushButton("&Dismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addWidget(close)
        self.hide()

    def show_message(self, text: str) -> None:
        """Show ``text`` (replacing any earlier message)."""
        self.text.setText(text)
        self.show()


class MainWindow(QMainWindow):
    """The app's one window."""

    def __init__(self, workspace: Workspace, tasks: Tasks) -> None:
        super().__init__()
        preload_native_libraries(workspace.context.engines)
        self.workspace, self.tasks = workspace, tasks
        self.saves = Tasks(_serial_pool())
        """Setting changes, saved one at a time and in order."""
        self.setWindowTitle("OET Speaking practice")
        self.resize(1100, 760)
        self.banner = ErrorBanner()
        self.navigation = QListWidget()
        self.navigation.addItems(list(NAVIGATION))
        self.navigation.setAccessibleName("Sections")
        self.navigation.setMaximumWidth(self.fontMetrics().horizontalAdvance("Role-plays") * 2)
        self.navigation.setEnabled(False)
        self.pages = QStackedWidget()
        self.welcome = QLabel("Opening your practice data…")
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.unlock_page = UnlockPage()
        self.first_run: FirstRunPage | None = None
        self.library_page = LibraryPage()
        self.preparation_page = PreparationPage()
        self.history_page = HistoryPage()
        self.roleplay_page = RolePlayPage()
        self.feedback_page = FeedbackPage()
        self.live: LivePractice | None = None
        self._closing = False
        self.owner: Profile | None = None
        self._warming: EngineSettings | None = None
        self.shown_session: str | None = None
        self.settings_page = SettingsPage(workspace.context.catalog)
        for page in (self.welcome, self.unlock_page, self.library_page, self.preparation_page, self.history_page,
                     self.settings_page, self.roleplay_page, self.feedback_page):
            self.pages.addWidget(page)
        body = QWidget()
        body_layout = QHBoxLayout(body)
        body_layout.addWidget(self.navigation)
        body_layout.addWidget(self.pages, 1)
        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self.banner)
        layout.addWidget(body, 1)
        self.setCentralWidget(central)
        self.statusBar().showMessage("Starting…")
        self._shortcuts()

        self.navigation.currentRowChanged.connect(self._navigate)
        self.unlock_page.unlock_requested.connect(self._unlock)
        self.library_page.prepare_requested.connect(self.prepare)
        self.preparation_page.back_requested.connect(lambda: self.show_section(0))
        self.history_page.practise_requested.connect(self.prepare)
        self.history_page.open_requested.connect(self.open_feedback)
        self.preparation_page.start_requested.connect(self.start_role_play)
        self.roleplay_page.end_requested.connect(lambda: self._finish_role_play(end_early=True))
        self.roleplay_page.finished.connect(lambda: self._finish_role_play(end_early=False))
        self.roleplay_page.talk_pressed.connect(lambda: self.live and self.live.press())
        self.roleplay_page.typed.connect(lambda text: self.live and self.live.type_turn(text))
        self.roleplay_page.talk_released.connect(lambda: self.live and self.live.release())
        self.feedback_page.export_requested.connect(self._export_pdf)
        self.feedback_page.play_requested.connect(self._play)
        self.feedback_page.back_requested.connect(lambda: self.show_section(1))
        self.settings_page.changed.connect(self._save_setting)
        self.settings_page.export_requested.connect(self._export)
        self.settings_page.erase_requested.connect(self._erase)
        self.settings_page.passphrase_requested.connect(self._change_passphrase)
        self.settings_page.api_key_changed.connect(self._save_api_key)

    # --- start-up ----------------------------------------------------------------------------------
    def start(self) -> None:
        """After the window is shown: open the profile (or begin the first run) and load the library."""
        self.tasks.run(self.workspace.load_library, self._library_loaded, self.show_error)
        try:
            has_profile = self.workspace.has_profile()
            needs_passphrase = has_profile and self.workspace.needs_passphrase()
        except (UserFacingError, OSError) as error:  # profile.json damaged or unreadable: say so, change nothing
            self.show_error(error)
            self.welcome.setText("Your practice data could not be opened (see the message above).")
            return
        if not has_profile:
            self._begin_first_run()
        elif needs_passphrase:
            self.pages.setCurrentWidget(self.unlock_page)
            self.unlock_page.passphrase.setFocus()
            self.statusBar().showMessage("Locked")
        else:
            self._unlock("")

    def _begin_first_run(self) -> None:
        self.tasks.run(self.workspace.keyring_available, self._show_first_run, self.show_error)

    def _show_first_run(self, keyring_available: bool) -> None:
        self.first_run = FirstRunPage(keyring_available, self.tasks.run)
        self.pages.addWidget(self.first_run)
        self.pages.setCurrentWidget(self.first_run)
        self.first_run.profile.create_requested.connect(self._create)
        self.first_run.models.check_requested.connect(self._check_models)
        self.first_run.finished.connect(self._ready)
        self.first_run.profile.name.setFocus()
        self.statusBar().showMessage("Welcome")

    def _create(self, owner: Profile, passphrase: str | None) -> None:
        assert self.first_run is not None
        first_run = self.first_run

        def failed(error: BaseException) -> None:
            first_run.profile.failed(describe(error))

        self.tasks.run(lambda: self.workspace.create(owner, passphrase), lambda _: first_run.profile_created(),
                       failed)

    def _check_models(self) -> None:
        assert self.first_run is not None
        models = self.first_run.models
        self.tasks.run(self.workspace.check_models,
                       lambda report: models.show_result(report.ok, format_report(report)),
                       lambda error: models.show_result(False, describe(error)))

    def _unlock(self, passphrase: str) -> None:
        self.statusBar().showMessage("Unlocking…")

        def failed(error: BaseException) -> None:
            if self.pages.currentWidget() is not self.unlock_page:
                self.pages.setCurrentWidget(self.unlock_page)
            self.unlock_page.failed(describe(error))
            self.statusBar().showMessage("Locked")

        self.tasks.run(lambda: self.workspace.unlock(passphrase or None), lambda _: self._ready(), failed)

    def _ready(self) -> None:
        self.navigation.setEnabled(True)
        self.statusBar().showMessage("Ready")
        self.show_section(0)
        self.tasks.run(self.workspace.owner, self._owner_known, self.show_error)

    def _owner_known(self, owner: Profile | None) -> None:
        self.owner = owner
        self._library_loaded(self.workspace.library)

    def _library_loaded(self, library: ScenarioLibrary | None) -> None:
        if library is None or self.owner is None:
            return  # shown once both the library and the unlocked profile are there
        self.library_page.set_library(library, set(self.workspace.practised), self.owner.profession)
        for line in library.errors:
            log.warning("scenario problem: %s", line)

    # --- navigation --------------------------------------------------------------------------------
    def _shortcuts(self) -> None:
        for number, name in enumerate(NAVIGATION):
            action = QAction(name, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number + 1}"))
            action.triggered.connect(lambda _=False, n=number: self.show_section(n))
            self.addAction(action)
        about = QAction("&About OET Speaking practice", self)
        about.triggered.connect(self.show_about)
        self.menuBar().addMenu("&Help").addAction(about)
        quit_action = QAction("Quit", self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.addAction(quit_action)

    def show_section(self, index: int) -> None:
        """Show Role-plays (0), History (1) or Settings (2)."""
        if not self.navigation.isEnabled():
            return
        if self.navigation.currentRow() != index:
            self.navigation.setCurrentRow(index)
        else:
            self._navigate(index)

    def _navigate(self, index: int) -> None:
        if index == 0:
            self.pages.setCurrentWidget(self.library_page)
            self.library_page.search.setFocus()
        elif index == 1:
            self.pages.setCurrentWidget(self.history_page)
            self.refresh_history()
        elif index == 2:
            self.pages.setCurrentWidget(self.settings_page)
            self._load_settings()

    def prepare(self, scenario_id: str) -> None:
        """Open the preparation page for a role-play."""
        library = self.workspace.library
        scenario = library.get(scenario_id) if library else None
        if scenario is None:
            self.show_error(f"The role-play {scenario_id!r} is not installed.")
            return
        self.preparation_page.show_scenario(scenario)
        self.pages.setCurrentWidget(self.preparation_page)
        self._warm_up()

    def _warm_up(self) -> None:
        """Load the speech, voice and language engines while the candidate prepares (once per app run)."""
        engines = self.workspace.context.engines
        if self._warming == engines.settings:
            return
        self._warming = engines.settings
        self.statusBar().showMessage("Loading the voice and speech recognition…")
        self.tasks.run(self.workspace.warm_up, lambda _: self.statusBar().showMessage("Ready"),
                       lambda error: log.info("warm-up failed (shown when the role-play starts): %s", error))

    def refresh_history(self) -> None:
        """Reload the history and progress (in the background)."""
        workspace = self.workspace

        def show(result: tuple[list[Any], Any]) -> None:
            library = workspace.library
            titles = {s.id: s.title for s in library.scenarios.values()} if library else {}
            self.history_page.show_history(result[0], titles, result[1])

        self.tasks.run(lambda: (workspace.history(), workspace.progress()), show, self.show_error)

    # --- the role-play and its feedback -------------------------------------------------------------
    def start_role_play(self, scenario_id: str, mode: str, notes: str, typed: bool = False) -> None:
        """Load the engines, open the microphone (unless the candidate types) and speaker, and begin (all off the
        UI thread)."""
        library = self.workspace.library
        scenario = library.get(scenario_id) if library else None
        if scenario is None:
            return
        self.roleplay_page.begin(scenario.title, notes, False, mode == "exam", typed_only=typed)
        self.pages.setCurrentWidget(self.roleplay_page)
        self.navigation.setEnabled(False)

        def started(live: LivePractice) -> None:
            if self._closing:  # the window closed while the role-play was starting: keep it as interrupted
                self.workspace.abandon_role_play(live)
                return
            self.live = live
            self.roleplay_page.talk_button.setVisible(live.engine.turn_mode.value == "push_to_talk")
            self.roleplay_page.attach(live.status)
            self.statusBar().showMessage("Role-play in progress")

        def failed(error: BaseException) -> None:
            self.navigation.setEnabled(True)
            self.pages.setCurrentWidget(self.preparation_page)
            self.show_error(error)

        self.statusBar().showMessage("Starting the role-play…")
        self.tasks.run(lambda: self.workspace.start_role_play(scenario_id, Mode(mode), typed), started, failed)

    def _finish_role_play(self, end_early: bool) -> None:
        live = self.live
        if live is None:
            return
        self.live = None
        self.roleplay_page.stop_polling()
        self.statusBar().showMessage("Saving and scoring your role-play…")

        def scored(finished: Finished) -> None:
            self.navigation.setEnabled(True)
            self.library_page.practised = set(finished.practised)
            self.library_page.refresh()
            self.shown_session = live.session_id
            self.feedback_page.show_report(finished.report)
            self.pages.setCurrentWidget(self.feedback_page)
            self.statusBar().showMessage("Saved")
            if finished.problem:
                self.show_error(finished.problem)

        def failed(error: BaseException) -> None:
            self.navigation.setEnabled(True)
            self.show_error(error)
            self.show_section(1)

        self.tasks.run(lambda: self.workspace.finish_role_play(live, end_early), scored, failed)

    def open_feedback(self, session_id: str) -> None:
        """Show a past role-play's feedback."""
        def show(saved: SavedFeedback) -> None:
            self.shown_session = session_id
            self.feedback_page.show_report(saved.report, saved.audio_kept)
            self.pages.setCurrentWidget(self.feedback_page)

        self.tasks.run(lambda: self.workspace.saved_feedback(session_id), show, self.show_error)

    def _export_pdf(self) -> None:
        report = self.feedback_page.report
        if report is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export PDF", f"{report.session_id}.pdf", "PDF (*.pdf)")
        if path:
            self.export_pdf_to(path)

    def export_pdf_to(self, path: str) -> None:
        """Write the shown report as a PDF (in the background)."""
        report: FeedbackReport | None = self.feedback_page.report
        assert report is not None
        self.feedback_page.say("Writing the PDF…")
        self.tasks.run(lambda: self.workspace.export_pdf(report, Path(path)),
                       lambda written: self.feedback_page.say(f"Saved {written}"),
                       lambda error: self.feedback_page.say(describe(error)))

    def _play(self, speaker: str, start: float, end: float) -> None:
        session_id = self.shown_session
        if session_id is None:
            return
        track = Track.CANDIDATE if speaker == Track.CANDIDATE else Track.PATIENT
        self.feedback_page.say("Playing…")
        self.tasks.run(lambda: self.workspace.play(session_id, track, start, end),
                       lambda _: self.feedback_page.say(""), lambda error: self.feedback_page.say(describe(error)))

    # --- settings ----------------------------------------------------------------------------------
    def _load_settings(self) -> None:
        def show(view: SettingsView) -> None:
            self.settings_page.load(view.values, view.devices, view.gpu_build, view.api_key_saved)

        self.tasks.run(self.workspace.settings_view, show, self.show_error)

    def _save_setting(self, key: str, value: object) -> None:
        def saved(result: SettingSaved) -> None:
            if result.engines_changed:
                self._warming = None  # the engines were rebuilt: warm them up again on the next preparation
            self.settings_page.say(result.message())

        self.saves.run(lambda: self.workspace.save_setting(key, value), saved, self.show_error)

    def _save_api_key(self, key: str) -> None:
        def saved(kept: bool) -> None:
            self._warming = None
            self.settings_page.api_key_saved(kept)

        self.saves.run(lambda: self.workspace.save_api_key(key), saved, self.show_error)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export everything", "oet-practice-export.zip",
                                              "ZIP archives (*.zip)")
        if not path:
            return
        self.settings_page.say("Exporting…")
        self.tasks.run(lambda: self.workspace.export(Path(path)),
                       lambda summary: self.settings_page.say(
                           f"Exported {summary.sessions} role-play(s) to {summary.path} "
                           f"({summary.bytes / 1e6:.1f} MB). The archive is not encrypted: keep it safe."),
                       self.show_error)

    def _erase(self) -> None:
        text, ok = QInputDialog.getText(self, "Erase everything",
                                        "This deletes every role-play, recording and score, and the key.\n"
                                        "Type ERASE to confirm:")
        if not ok or text.strip() != "ERASE":
            self.settings_page.say("Nothing was erased.")
            return

        def erased(_: list[str]) -> None:
            QMessageBox.information(self, "Erased", "Everything was erased. You can start again.")
            self._begin_first_run()

        def failed(error: BaseException) -> None:
            self.show_error(error)
            self.start()  # whatever is left: unlock it again, or begin afresh

        self.navigation.setEnabled(False)
        self.tasks.run(self.workspace.erase, erased, failed)

    def _change_passphrase(self) -> None:
        first, ok = QInputDialog.getText(self, "Passphrase", "New passphrase (at least 8 characters):",
                                         QLineEdit.EchoMode.Password)
        if not ok:
            return
        again, ok = QInputDialog.getText(self, "Passphrase", "The same passphrase again:",
                                         QLineEdit.EchoMode.Password)
        if not ok:
            return
        if first != again:
            self.settings_page.say("The two passphrases were different; nothing was changed.")
            return
        self.tasks.run(lambda: self.workspace.change_passphrase(first),
                       lambda _: self.settings_page.say("Your data is now protected by the new passphrase."),
                       lambda error: self.settings_page.say(describe(error)))

    def about_text(self) -> str:
        """The About box: the version, and what leaves the computer (nothing, unless a server is set)."""
        return (f"<b>OET Speaking practice</b> {__version__}<br>Role-plays by voice with a local AI patient, and "
                "feedback on the nine OET Speaking criteria. Everything runs on this computer: recordings, "
                "transcripts and scores stay in your encrypted profile.<br>Not affiliated with OET; the scores "
                "are estimates, not OET results.")

    def show_about(self) -> None:
        """Help → About."""
        QMessageBox.about(self, "About OET Speaking practice", self.about_text())

    # --- errors and closing ------------------------------------------------------------------------
    def show_error(self, error: BaseException | str) -> None:
        """Show a problem in the banner (never a crash)."""
        text = error if isinstance(error, str) else describe(error)
        log.warning("shown to the user: %s", text)
        self.banner.show_message(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        """Closing mid role-play stops it and keeps everything heard (marked interrupted); setting saves and
        background work finish before the profile closes."""
        self._closing = True
        live, self.live = self.live, None
        if live is not None:
            self.roleplay_page.stop_polling()
            try:
                self.workspace.abandon_role_play(live)
            except Exception as error:  # the app closes anyway; the next start keeps what was saved
                log.warning("the role-play could not be saved on closing: %s", error)
        self.saves.wait(10_000)
        self.tasks.wait(CLOSE_WAIT_MS)  # a role-play being finished or started completes first
        QCoreApplication.sendPostedEvents()  # their results arrive: a role-play that just started is abandoned
        self.workspace.close()
        super().closeEvent(event)


def start_later(window: MainWindow) -> None:
    """Begin loading once the event loop runs (the window paints first)."""
    QTimer.singleShot(0, window.start)
