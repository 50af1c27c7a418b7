"""First run: create the encrypted profile, check the microphone (live level, record and play back), and check
whether this computer is fast enough for the models."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.audio.types import AudioInput
from oet_desktop.core.content.scenario import Profession
from oet_desktop.core.storage.keys import MIN_PASSPHRASE
from oet_desktop.core.storage.repository import Profile
from oet_desktop.services import audio_tools
from oet_desktop.ui.pages.common import heading, wrapped
from oet_desktop.ui.widgets.level_meter import LevelMeter

CHECK_SECONDS = 3.0


class ProfileStep(QWidget):
    """Name, profession and how the data is protected."""

    create_requested = Signal(object, object)  # Profile, passphrase or None

    def __init__(self, keyring_available: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = QLineEdit()
        self.name.setPlaceholderText("Your name (printed on your reports)")
        self.profession = QComboBox()
        for profession in Profession:
            self.profession.addItem(profession.label, profession.value)
        self.use_keyring = QRadioButton("Keep the key in this computer's &keyring (recommended)")
        self.use_passphrase = QRadioButton("Protect with a &passphrase I will type each time")
        group = QButtonGroup(self)
        group.addButton(self.use_keyring)
        group.addButton(self.use_passphrase)
        if keyring_available:
            self.use_keyring.setChecked(True)
        else:
            self.use_keyring.setEnabled(False)
            self.use_keyring.setText(self.use_keyring.text() + " (no keyring on this computer)")
            self.use_passphrase.setChecked(True)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.confirm = QLineEdit()
        self.confirm.setEchoMode(QLineEdit.EchoMode.Password)
        self.confirm.setAccessibleName("Passphrase again")
        self.message = wrapped()
        self.message.setObjectName("pageError")
        self.create_button = QPushButton("&Create my profile")
        self.create_button.setDefault(True)

        form = QFormLayout()
        form.addRow("&Name:", self.name)
        form.addRow("P&rofession:", self.profession)
        form.addRow(self.use_keyring)
        form.addRow(self.use_passphrase)
        form.addRow("Pa&ssphrase:", self.passphrase)
        form.addRow("A&gain:", self.confirm)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Welcome"))
        layout.addWidget(wrapped(
            "Everything you record and every score stays on this computer, encrypted. Tell us who you are and "
            "how to protect your data."))
        layout.addLayout(form)
        layout.addWidget(self.message)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.create_button)
        layout.addLayout(row)
        layout.addStretch(1)
        self.use_passphrase.toggled.connect(self._protection_changed)
        self.create_button.clicked.connect(self._create)
        self._protection_changed()

    def _protection_changed(self) -> None:
        on = self.use_passphrase.isChecked()
        self.passphrase.setEnabled(on)
        self.confirm.setEnabled(on)

    def _create(self) -> None:
        passphrase: str | None = None
        if self.use_passphrase.isChecked():
            passphrase = self.passphrase.text()
            if len(passphrase) < MIN_PASSPHRASE:
                self.failed(f"Use a passphrase of at least {MIN_PASSPHRASE} characters.")
                self.passphrase.setFocus()
                return
            if passphrase != self.confirm.text():
                self.failed("The two passphrases are different.")
                self.confirm.setFocus()
                return
        self.message.clear()
        self.create_button.setEnabled(False)
        owner = Profile(self.name.text().strip() or "Candidate", str(self.profession.currentData()))
        self.create_requested.emit(owner, passphrase)

    def failed(self, message: str) -> None:
        """Show what went wrong; the form stays as typed."""
        self.message.setText(message)
        self.create_button.setEnabled(True)


class MicrophoneStep(QWidget):
    """Pick the microphone, watch its level, record a few seconds and hear them back."""

    done = Signal()

    def __init__(self, run_in_background: Callable[..., None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._run = run_in_background
        self.device = QComboBox()
        self.device.setAccessibleName("Microphone")
        self.meter = LevelMeter()
        self.record_button = QPushButton("&Record 3 seconds and play them back")
        self.result = wrapped()
        self.next_button = QPushButton("&Next")
        self._microphone: AudioInput | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._show_level)
        form = QFormLayout()
        form.addRow("&Microphone:", self.device)
        form.addRow("Level:", self.meter)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Check your microphone"))
        layout.addWidget(wrapped("Say a few words: the bar should move into the green. Then record yourself and "
                                 "listen: you should hear yourself clearly."))
        layout.addLayout(form)
        layout.addWidget(self.record_button)
        layout.addWidget(self.result)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.next_button)
        layout.addLayout(row)
        layout.addStretch(1)
        self.record_button.clicked.connect(self._record)
        self.next_button.clicked.connect(self._finish)
        self.device.currentIndexChanged.connect(self._open)

    def start(self) -> None:
        """List the microphones (in the background) and open the default one."""
        self.result.setText("Looking for microphones…")
        self._run(audio_tools.devices, self._show_devices, self._no_devices)

    def _no_devices(self, error: BaseException) -> None:
        self.result.setText(f"No microphone could be found ({error}). You can carry on and choose one later in "
                            "Settings.")
        self.record_button.setEnabled(False)

    def _show_devices(self, devices: list[Any]) -> None:
        inputs = [d for d in devices if d.input_channels > 0]
        if not inputs:
            self.result.setText("No microphone is connected. Plug one in, or carry on and choose it later in "
                                "Settings.")
            self.record_button.setEnabled(False)
            return
        self.result.clear()
        self.record_button.setEnabled(True)
        self.device.blockSignals(True)
        self.device.clear()
        for device in inputs:
            self.device.addItem(device.name, device.index)
            if device.is_default_input:
                self.device.setCurrentIndex(self.device.count() - 1)
        self.device.blockSignals(False)
        self._open()

    def _open(self) -> None:
        """Open the chosen microphone for the level meter (in the background: opening a device can take a
        moment)."""
        self._close()
        device, name = self.device.currentData(), self.device.currentText()

        def opened(microphone: AudioInput) -> None:
            if self.device.currentText() != name or not self.isVisible():
                microphone.stop()  # the choice changed, or the step was left, meanwhile
                return
            if self._microphone is not None:
                self._microphone.stop()  # an earlier open that finished first
            self._microphone = microphone
            self._timer.start()

        def failed(error: BaseException) -> None:
            self.result.setText(f"{name} could not be opened ({error}).")

        self._run(lambda: audio_tools.open_for_level(device), opened, failed)

    def _show_level(self) -> None:
        if self._microphone is not None:
            self.meter.set_level(self._microphone.level_dbfs)

    def _record(self) -> None:
        device = self.device.currentData()
        self._close()
        self.record_button.setEnabled(False)
        self.result.setText("Recording… speak now.")

        def done(level: float) -> None:
            verdict = ("That was very quiet: move closer or raise the input volume." if level < -45 else
                       "That was loud enough to clip: move back a little." if level > -3 else
                       "Good: that is a comfortable level.")
            self.result.setText(f"Recorded {CHECK_SECONDS:.0f} s at {level:.0f} dBFS. {verdict}")
            self.record_button.setEnabled(True)
            self._open()

        def failed(error: BaseException) -> None:
            self.result.setText(f"The recording failed: {error}")
            self.record_button.setEnabled(True)

        self._run(lambda: audio_tools.record_and_play_back(device, CHECK_SECONDS), done, failed)

    def _close(self) -> None:
        self._timer.stop()
        if self._microphone is not None:
            self._microphone.stop()
            self._microphone = None

    def _finish(self) -> None:
        self._close()
        self.done.emit()

    def hideEvent(self, event: Any) -> None:
        self._close()
        super().hideEvent(event)


class ModelStep(QWidget):
    """A live speed check of speech recognition, the language model and the voice, with what to do if slow."""

    done = Signal()
    check_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check_button = QPushButton("&Check this computer")
        self.report = QPlainTextEdit()
        self.report.setReadOnly(True)
        self.report.setAccessibleName("Speed check results")
        self.verdict = wrapped()
        self.finish_button = QPushButton("&Start practising")
        self.finish_button.setDefault(True)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Is this computer fast enough?"))
        layout.addWidget(wrapped("The patient's voice, the speech recognition and the language model all run on "
                                 "this computer. A short check (about a minute) shows whether replies will come "
                                 "quickly."))
        layout.addWidget(self.check_button)
        layout.addWidget(self.verdict)
        layout.addWidget(self.report, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.finish_button)
        layout.addLayout(row)
        self.check_button.clicked.connect(self._check)
        self.finish_button.clicked.connect(self.done.emit)

    def _check(self) -> None:
        self.check_button.setEnabled(False)
        self.verdict.setText("Checking… you can start practising meanwhile.")
        self.check_requested.emit()

    def show_result(self, ok: bool, text: str) -> None:
        """Show the doctor's report and what it means."""
        self.check_button.setEnabled(True)
        self.report.setPlainText(text)
        self.verdict.setText("This computer is fast enough for the default models." if ok else
                             "Some checks were slow or failed (see below). Replies may lag: close other programs, "
                             "turn on the GPU in Settings if you have one, or use a language-model server.")


class FirstRunPage(QWidget):
    """The three first-run steps in order."""

    finished = Signal()

    def __init__(self, keyring_available: bool, run_in_background: Callable[..., None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.steps = QStackedWidget()
        self.profile = ProfileStep(keyring_available)
        self.microphone = MicrophoneStep(run_in_background)
        self.models = ModelStep()
        for step in (self.profile, self.microphone, self.models):
            self.steps.addWidget(step)
        layout = QVBoxLayout(self)
        layout.addWidget(self.steps)
        self.microphone.done.connect(lambda: self.steps.setCurrentWidget(self.models))
        self.models.done.connect(self.finished.emit)

    def profile_created(self) -> None:
        """Go on to the microphone check."""
        self.steps.setCurrentWidget(self.microphone)
        self.microphone.start()
