"""Preparation: the candidate card, a notes field, the 3:00 timer in exam mode, and the start button."""

from __future__ import annotations

from PySide6.QtCore import QElapsedTimer, QTimer, Signal
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.practice.session import Mode
from oet_desktop.ui.pages.common import heading
from oet_desktop.ui.text import card_html

PREPARATION_S = 180


def clock_text(seconds: float) -> str:
    """m:ss."""
    whole = max(0, int(seconds + 0.999))
    return f"{whole // 60}:{whole % 60:02d}"


class PreparationPage(QWidget):
    """``start_requested`` carries (scenario id, mode, notes, typed); the exam timer starts the role-play at
    0:00."""

    start_requested = Signal(str, str, str, bool)
    back_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.scenario: Scenario | None = None
        self.preparation_s = PREPARATION_S
        self.card = QTextBrowser()
        self.card.setAccessibleName("Candidate card")
        self.notes = QPlainTextEdit()
        self.notes.setPlaceholderText("Your notes (you can see them during the role-play)")
        self.notes.setAccessibleName("Notes")
        self.exam = QRadioButton("&Exam mode: 3 minutes to prepare, then 5 minutes")
        self.practice = QRadioButton("P&ractice mode: no time limit, hints allowed")
        group = QButtonGroup(self)
        group.addButton(self.exam)
        group.addButton(self.practice)
        self.exam.setChecked(True)
        self.typed = QCheckBox("T&ype instead of speaking (no microphone needed)")
        self.typed.setToolTip("Rehearse the content in writing; the patient still answers aloud. Feedback then "
                              "covers what text can show (not clarity or fluency).")
        self.timer_label = QLabel(clock_text(PREPARATION_S))
        font = self.timer_label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        self.timer_label.setFont(font)
        self.timer_label.setAccessibleName("Preparation time left")
        self.start_button = QPushButton("&Start the role-play")
        self.start_button.setDefault(True)
        self.back_button = QPushButton("&Back to the library")
        self._elapsed = QElapsedTimer()
        self._tick = QTimer(self)
        self._tick.setInterval(200)
        self._tick.timeout.connect(self._update_timer)

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.exam)
        side_layout.addWidget(self.practice)
        side_layout.addWidget(self.typed)
        side_layout.addWidget(self.timer_label)
        notes_label = QLabel("&Notes:")
        notes_label.setBuddy(self.notes)
        side_layout.addWidget(notes_label)
        side_layout.addWidget(self.notes, 1)
        splitter = QSplitter()
        splitter.addWidget(self.card)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Prepare"))
        layout.addWidget(splitter, 1)
        layout.addLayout(buttons)
        self.exam.toggled.connect(self._mode_changed)
        self.start_button.clicked.connect(self._start)
        self.back_button.clicked.connect(self._back)

    def show_scenario(self, scenario: Scenario) -> None:
        """Show the card and start the preparation clock (exam mode)."""
        self.scenario = scenario
        self.card.setHtml(card_html(scenario))
        self.notes.clear()
        self._mode_changed()
        self.notes.setFocus()

    def time_left(self) -> float:
        """Seconds of preparation left (exam mode)."""
        if not self._elapsed.isValid():
            return self.preparation_s
        return self.preparation_s - self._elapsed.elapsed() / 1000

    def _mode_changed(self) -> None:
        if self.exam.isChecked():
            self._elapsed.start()
            self._tick.start()
            self.timer_label.show()
            self._update_timer()
        else:
            self._tick.stop()
            self.timer_label.hide()

    def _update_timer(self) -> None:
        left = self.time_left()
        self.timer_label.setText(clock_text(left))
        if left <= 0:
            self._start()

    def _start(self) -> None:
        self._tick.stop()
        if self.scenario is not None:
            mode = Mode.EXAM if self.exam.isChecked() else Mode.PRACTICE
            self.start_requested.emit(self.scenario.id, mode.value, self.notes.toPlainText(), self.typed.isChecked())

    def hideEvent(self, event: QHideEvent) -> None:
        self._tick.stop()  # leaving the page stops the exam clock: it must not start a role-play elsewhere
        super().hideEvent(event)

    def _back(self) -> None:
        self._tick.stop()
        self.back_requested.emit()
