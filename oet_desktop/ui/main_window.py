"""The main window: navigation (role-plays, history, settings), the pages, an error banner for problems the
user can meet, and the status bar. It shows at once; the profile, the library and the models load behind it."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QThreadPool, QTimer
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

from oet_desktop.core.audio.types import AudioInput, AudioOutput
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.repository import Profile, ProfileRepository
from oet_desktop.ui.backend import ENGINE_SETTINGS, Backend
from oet_desktop.ui.pages.feedback import FeedbackPage
from oet_desktop.ui.pages.first_run import FirstRunPage
from oet_desktop.ui.pages.history import HistoryPage
from oet_desktop.ui.pages.library import LibraryPage
from oet_desktop.ui.pages.preparation import PreparationPage
from oet_desktop.ui.pages.roleplay import RolePlayPage
from oet_desktop.ui.pages.settings import DEFAULTS, SettingsPage
from oet_desktop.ui.pages.unlock import UnlockPage
from oet_desktop.ui.tasks import Tasks

log = logging.getLogger(__name__)
NAVIGATION = ("Role-plays", "History", "Settings")


NATIVE_LIBRARIES = ("llama_cpp", "faster_whisper", "onnxruntime")
"""The language model's, speech recognition's and the voice's native libraries."""


def preload_native_libraries(engines: EngineSet) -> None:
    """Load the engines' native libraries and parse Whisper's tokenizer now, before the window shows: both hold
    Python's global lock (0.05–0.15 s each here), which would otherwise freeze the window when a model first
    loads in the background."""
    import importlib

    from oet_desktop.core.models.catalog import ModelRole
    from oet_desktop.core.speech.stt import preparse_tokenizer

    for name in NATIVE_LIBRARIES:
        try:
            importlib.import_module(name)
        except Exception as error:  # a broken build is reported when its model is used, not here
            log.warning("%s could not be loaded: %s", name, error)
    try:
        stt = engines.registry.resolve(engines.model_id(ModelRole.STT), verify=False)
        preparse_tokenizer(stt.main_path)
    except Exception as error:  # a missing model is reported when it is used
        log.info("the speech-recognition tokenizer was not parsed in advance: %s", error)


def _serial_pool() -> QThreadPool:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)
    return pool


def _microphone(device: Any) -> AudioInput:
    from oet_desktop.core.audio.microphone import MicrophoneInput

    return MicrophoneInput(device)


def _speaker(device: Any) -> AudioOutput:
    from oet_desktop.core.audio.speaker import SpeakerOutput

    return SpeakerOutput(device)


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

    def __init__(self, backend: Backend, tasks: Tasks,
                 open_microphone: Callable[[Any], AudioInput] | None = None,
                 open_speaker: Callable[[Any], AudioOutput] | None = None) -> None:
        super().__init__()
        preload_native_libraries(backend.context.engines)
        self.backend, self.tasks = backend, tasks
        self.saves = Tasks(_serial_pool())
        """Setting changes, saved one at a time and in order."""
        self.open_microphone = open_microphone or _microphone
        """Opens the chosen input device (by name, or None for the default); passed in for tests."""
        self.open_speaker = open_speaker or _speaker
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
        self.live: Any = None
        self.owner: Profile | None = None
        self._warming: object = None
        self.shown_session: str | None = None
        self.settings_page = SettingsPage(backend.context.catalog)
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

    # --- start-up ----------------------------------------------------------------------------------
    def start(self) -> None:
        """After the window is shown: open the profile (or begin the first run) and load the library."""
        self.tasks.run(self.backend.load_library, self._library_loaded, self.show_error)
        try:
            has_profile = self.backend.has_profile()
            needs_passphrase = has_profile and self.backend.needs_passphrase()
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
        self.tasks.run(self.backend.keyring.available, self._show_first_run, self.show_error)

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

        self.tasks.run(lambda: self.backend.create(owner, passphrase), lambda _: first_run.profile_created(),
                       failed)

    def _check_models(self) -> None:
        from oet_desktop.core.system.doctor import format_report, run_doctor

        context = self.backend.context
        assert self.first_run is not None
        models = self.first_run.models
        self.tasks.run(lambda: run_doctor(context.registry, context.engines, live=True),
                       lambda report: models.show_result(report.ok, format_report(report)),
                       lambda error: models.show_result(False, describe(error)))

    def _unlock(self, passphrase: str) -> None:
        self.statusBar().showMessage("Unlocking…")

        def failed(error: BaseException) -> None:
            if self.pages.currentWidget() is self.unlock_page:
                self.unlock_page.failed(describe(error))
            else:
                self.pages.setCurrentWidget(self.unlock_page)
                self.unlock_page.failed(describe(error))
            self.statusBar().showMessage("Locked")

        self.tasks.run(lambda: self.backend.unlock(passphrase or None), lambda _: self._ready(), failed)

    def _ready(self) -> None:
        self.navigation.setEnabled(True)
        self.statusBar().showMessage("Ready")
        self.show_section(0)
        self.tasks.run(self.backend.owner, self._owner_known, self.show_error)

    def _owner_known(self, owner: Profile | None) -> None:
        self.owner = owner
        self._library_loaded(self.backend.library)

    def _library_loaded(self, library: Any) -> None:
        if library is None or self.owner is None:
            return  # shown once both the library and the unlocked profile are there
        self.library_page.set_library(library, set(self.backend.practised), self.owner.profession)
        for line in library.errors:
            log.warning("scenario problem: %s", line)

    # --- navigation --------------------------------------------------------------------------------
    def _shortcuts(self) -> None:
        for number, name in enumerate(NAVIGATION):
            action = QAction(name, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number + 1}"))
            action.triggered.connect(lambda _=False, n=number: self.show_section(n))
            self.addAction(action)
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
        library = self.backend.library
        scenario = library.get(scenario_id) if library else None
        if scenario is None:
            self.show_error(f"The role-play {scenario_id!r} is not installed.")
            return
        self.preparation_page.show_scenario(scenario)
        self.pages.setCurrentWidget(self.preparation_page)
        self._warm_up()

    def _warm_up(self) -> None:
        """Load the speech, voice and language engines while the candidate prepares (once per app run)."""
        from oet_desktop.core.practice.headless import parts_from_engines

        context = self.backend.context
        if self._warming is context.engines:
            return
        self._warming = context.engines
        self.statusBar().showMessage("Loading the voice and speech recognition…")
        def load() -> None:
            parts = parts_from_engines(context.engines, context.catalog)
            for engine in (parts.transcriber, parts.voice, parts.embedder, parts.language_model):
                if engine is not None and hasattr(engine, "load"):
                    engine.load()

        self.tasks.run(load, lambda _: self.statusBar().showMessage("Ready"),
                       lambda error: log.info("warm-up failed (shown when the role-play starts): %s", error))

    def refresh_history(self) -> None:
        """Reload the history and progress (in the background)."""
        backend = self.backend

        def load() -> tuple[Any, Any]:
            return backend.history(), backend.progress()

        def show(result: tuple[Any, Any]) -> None:
            library = backend.library
            titles = {s.id: s.title for s in library.scenarios.values()} if library else {}
            self.history_page.show_history(result[0], titles, result[1])

        self.tasks.run(load, show, self.show_error)

    # --- the role-play and its feedback -------------------------------------------------------------
    def start_role_play(self, scenario_id: str, mode: str, notes: str, typed: bool = False) -> None:
        """Load the engines, open the microphone (unless the candidate types) and speaker, and begin (all off the
        UI thread)."""
        from datetime import datetime

        from oet_desktop.core.audio.memory import NoMicrophone
        from oet_desktop.core.practice.engine import PRACTICE_VAD, TurnMode
        from oet_desktop.core.practice.headless import parts_from_engines
        from oet_desktop.core.practice.live_session import LivePractice
        from oet_desktop.core.practice.session import Mode
        from oet_desktop.core.speech.vad import VadConfig

        library, storage, context = self.backend.library, self.backend.storage, self.backend.context
        scenario = library.get(scenario_id) if library else None
        if scenario is None or storage is None:
            return
        self.roleplay_page.begin(scenario.title, notes, False, mode == "exam", typed_only=typed)
        self.pages.setCurrentWidget(self.roleplay_page)
        self.navigation.setEnabled(False)
        session_id = f"{datetime.now().strftime('%Y%m%d-%H%M%S')}-{scenario.id}"

        def begin() -> LivePractice:
            values = storage.call(lambda repo: {key: repo.setting(key, default)
                                                for key, default in DEFAULTS.items()})
            turn_mode = TurnMode.TYPED if typed else TurnMode(values["turn_mode"])
            # devices first: no microphone fails at once
            microphone = NoMicrophone() if typed else self.open_microphone(values["input_device"])
            speaker = self.open_speaker(values["output_device"])
            parts = parts_from_engines(context.engines, context.catalog)
            vad = VadConfig(hangover_ms=PRACTICE_VAD.hangover_ms, endpoint_ms=int(values["endpoint_ms"]))
            live = LivePractice(scenario, Mode(mode), turn_mode, parts, microphone, speaker, storage, session_id,
                                vad)
            live.start()
            return live

        def started(live: LivePractice) -> None:
            self.live = live
            self.roleplay_page.talk_button.setVisible(live.engine.turn_mode is TurnMode.PUSH_TO_TALK)
            self.roleplay_page.attach(live.status)
            self.statusBar().showMessage("Role-play in progress")

        def failed(error: BaseException) -> None:
            self.navigation.setEnabled(True)
            self.pages.setCurrentWidget(self.preparation_page)
            self.show_error(error)

        self.statusBar().showMessage("Starting the role-play…")
        self.tasks.run(begin, started, failed)

    def _finish_role_play(self, end_early: bool) -> None:
        from oet_desktop.core.assessment.conversation import from_record
        from oet_desktop.core.assessment.feedback import Assessor

        live = self.live
        if live is None:
            return
        self.live = None
        self.roleplay_page.stop_polling()
        problem = live.status().problem
        storage, engines = self.backend.storage, self.backend.context.engines
        if storage is None:
            self.show_error("Your practice data is locked, so the role-play could not be saved.")
            return
        self.statusBar().showMessage("Saving and scoring your role-play…")

        def finish_and_score() -> Any:
            record = live.finish(end_early=end_early)
            report = Assessor.with_project_lexicon(engines.embedder()).assess(
                from_record(record, live.scenario, live.session_id))
            storage.call(lambda repo: repo.save_feedback(live.session_id, report))
            self.backend.practised = storage.call(ProfileRepository.practised)
            return report

        def scored(report: Any) -> None:
            self.navigation.setEnabled(True)
            self.library_page.practised = set(self.backend.practised)
            self.library_page.refresh()
            self.shown_session = live.session_id
            self.feedback_page.show_report(report)
            self.pages.setCurrentWidget(self.feedback_page)
            self.statusBar().showMessage("Saved")
            if problem:
                self.show_error(problem)

        def failed(error: BaseException) -> None:
            self.navigation.setEnabled(True)
            self.show_error(error)
            self.show_section(1)

        self.tasks.run(finish_and_score, scored, failed)

    def open_feedback(self, session_id: str) -> None:
        """Show a past role-play's feedback."""
        backend = self.backend

        def load() -> Any:
            report = backend.feedback(session_id)
            if report is None:
                raise UserFacingError("This role-play has not been scored yet.",
                                      "Score it with `oet-desktop report` and open it again.")
            listing = next((s for s in backend.history() if s.session_id == session_id), None)
            return report, not (listing and listing.audio_removed)

        def show(result: Any) -> None:
            self.shown_session = session_id
            self.feedback_page.show_report(*result)
            self.pages.setCurrentWidget(self.feedback_page)

        self.tasks.run(load, show, self.show_error)

    def _export_pdf(self) -> None:
        report = self.feedback_page.report
        if report is None:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export PDF", f"{report.session_id}.pdf", "PDF (*.pdf)")
        if path:
            self.export_pdf_to(path)

    def export_pdf_to(self, path: str) -> None:
        """Write the shown report as a PDF (in the background)."""
        from pathlib import Path

        from oet_desktop.core.reports.session_pdf import write_session_pdf

        report = self.feedback_page.report
        assert report is not None
        self.feedback_page.say("Writing the PDF…")
        self.tasks.run(lambda: write_session_pdf(report, Path(path)),
                       lambda written: self.feedback_page.say(f"Saved {written}"),
                       lambda error: self.feedback_page.say(describe(error)))

    def _play(self, speaker: str, start: float, end: float) -> None:
        from oet_desktop.core.audio.speaker import SpeakerOutput
        from oet_desktop.core.storage.segments import to_float

        storage, session_id = self.backend.storage, self.shown_session
        if storage is None or session_id is None:
            return
        track = "candidate" if speaker == "candidate" else "patient"
        rate = 16_000 if track == "candidate" else 22_050

        def play() -> None:
            pcm = storage.call(lambda repo: repo.track(session_id, track, rate))
            if pcm is None:
                raise UserFacingError("The recording of this role-play is no longer kept.",
                                      "Recordings older than your retention setting are deleted.")
            clip = to_float(pcm[int(start * rate):int(max(end, start + 0.5) * rate)])
            output = SpeakerOutput(storage.call(lambda repo: repo.setting("output_device")))
            try:
                output.play(clip, rate)
                output.wait(end - start + 5)
            finally:
                output.close()

        self.feedback_page.say("Playing…")
        self.tasks.run(play, lambda _: self.feedback_page.say(""),
                       lambda error: self.feedback_page.say(describe(error)))

    # --- settings ----------------------------------------------------------------------------------
    def _load_settings(self) -> None:
        backend = self.backend

        def load() -> tuple[dict[str, Any], list[Any], bool]:
            from oet_desktop.core.audio.devices import list_devices
            from oet_desktop.core.llm.llama_cpp_backend import build_supports_gpu

            storage = backend.storage
            assert storage is not None
            values = storage.call(lambda repo: {key: repo.setting(key, default) for key, default in DEFAULTS.items()})
            try:
                devices = list_devices()
            except Exception:  # no sound system: the page still shows, with the system default only
                devices = []
            return values, devices, build_supports_gpu()

        self.tasks.run(load, lambda result: self.settings_page.load(*result), self.show_error)

    def _save_setting(self, key: str, value: object) -> None:
        storage = self.backend.storage
        if storage is None:
            return

        def save() -> int:
            storage.call(lambda repo: repo.save_setting(key, value))
            if key in ENGINE_SETTINGS:
                self.backend.apply_engine_settings()
            return storage.call(ProfileRepository.apply_retention) if key == "audio_retention_days" else 0

        def saved(removed: int) -> None:
            self.settings_page.say("Saved." + (f" Recordings of {removed} older role-play(s) were deleted."
                                               if removed else ""))

        self.saves.run(save, saved, self.show_error)

    def _export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export everything", "oet-practice-export.zip",
                                              "ZIP archives (*.zip)")
        if not path:
            return
        from pathlib import Path

        from oet_desktop.core.reports.session_pdf import write_session_pdf
        from oet_desktop.core.storage.archive import export_archive

        storage = self.backend.storage
        if storage is None:
            self.show_error("Your practice data is locked; unlock it to export.")
            return
        self.settings_page.say("Exporting…")
        self.tasks.run(lambda: export_archive(storage, Path(path), write_session_pdf),
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
        from oet_desktop.core.storage.profile import erase_profile

        backend = self.backend

        def erase() -> list[str]:
            backend.close()
            return erase_profile(backend.location, backend.keyring, (backend.context.paths.data_dir / "sessions",))

        def erased(_: list[str]) -> None:
            QMessageBox.information(self, "Erased", "Everything was erased. You can start again.")
            self._begin_first_run()

        def failed(error: BaseException) -> None:
            self.show_error(error)
            self.start()  # whatever is left: unlock it again, or begin afresh

        self.navigation.setEnabled(False)
        self.tasks.run(erase, erased, failed)

    def _change_passphrase(self) -> None:
        from oet_desktop.core.storage.keys import passphrase_key
        from oet_desktop.core.storage.profile import protect_with_passphrase

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
        try:
            key = passphrase_key(first)
        except UserFacingError as error:
            self.settings_page.say(describe(error))
            return
        backend = self.backend
        storage = backend.storage
        if storage is None:
            self.show_error("Your practice data is locked; unlock it to change the passphrase.")
            return
        self.tasks.run(lambda: protect_with_passphrase(storage, backend.location, backend.keyring, key),
                       lambda _: self.settings_page.say("Your data is now protected by the new passphrase."),
                       self.show_error)

    # --- errors and closing ------------------------------------------------------------------------
    def show_error(self, error: BaseException | str) -> None:
        """Show a problem in the banner (never a crash)."""
        text = error if isinstance(error, str) else describe(error)
        log.warning("shown to the user: %s", text)
        self.banner.show_message(text)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.tasks.wait(10_000)
        self.backend.close()
        super().closeEvent(event)


def start_later(window: MainWindow) -> None:
    """Begin loading once the event loop runs (the window paints first)."""
    QTimer.singleShot(0, window.start)
