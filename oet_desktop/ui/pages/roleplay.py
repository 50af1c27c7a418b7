"""The role-play: the 5:00 timer, whose turn it is (listening / thinking / speaking), live captions of both
sides, the microphone level, push-to-talk when chosen, end-early, and the closing line."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from oet_desktop.core.practice.live_practice import LiveState, LiveStatus
from oet_desktop.ui.pages.common import heading, wrapped
from oet_desktop.ui.pages.preparation import clock_text
from oet_desktop.ui.widgets.level_meter import LevelMeter

TYPING = "typing"
"""The candidate's turn in a typed role-play (shown instead of "listening")."""
STATE_TEXT = {LiveState.STARTING: "Getting ready… (loading the voice and speech recognition)",
              LiveState.LISTENING: "Your turn: the patient is listening",
              TYPING: "Your turn: type what you would say and press Enter",
              LiveState.THINKING: "The patient is thinking…",
              LiveState.SPEAKING: "The patient is speaking",
              LiveState.FINISHED: "The role-play has ended"}
POLL_MS = 100


class RolePlayPage(QWidget):
    """Shows a live role-play from ``status`` snapshots; ``end_requested`` asks to end early, ``finished`` says
    the patient has said the closing line."""

    end_requested = Signal()
    finished = Signal()
    talk_pressed = Signal()
    talk_released = Signal()
    typed = Signal(str)
    """A turn typed in the box (in a typed role-play, or instead of speaking one turn)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status: Callable[[], LiveStatus] | None = None
        self._shown = 0
        self._done = False
        self.title = heading("Role-play")
        self.timer_label = QLabel("5:00")
        font = self.timer_label.font()
        font.setPointSizeF(font.pointSizeF() * 2)
        self.timer_label.setFont(font)
        self.timer_label.setAccessibleName("Time left")
        self.state_label = QLabel(STATE_TEXT[LiveState.STARTING])
        state_font = self.state_label.font()
        state_font.setBold(True)
        self.state_label.setFont(state_font)
        self.state_label.setAccessibleName("Whose turn it is")
        self.meter = LevelMeter()
        self.captions = QTextBrowser()
        self.captions.setAccessibleName("Captions")
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        self.notes.setAccessibleName("Your notes")
        self.problem = wrapped()
        self.problem.setObjectName("pageError")
        self.problem.setStyleSheet("color: #b71c1c;")
        self.talk_button = QPushButton("Hold to &talk (or hold Space)")
        self.talk_button.hide()
        self.end_button = QPushButton("&End the role-play")
        self.type_box = QLineEdit()
        self.type_box.setPlaceholderText("Or type what you would say, and press Enter")
        self.type_box.setAccessibleName("Type a turn")
        self.send_button = QPushButton("Se&nd")
        self._typed_only = False
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh)

        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.timer_label)
        meter_row = QHBoxLayout()
        meter_row.addWidget(QLabel("Microphone:"))
        meter_row.addWidget(self.meter, 1)
        splitter = QSplitter()
        splitter.addWidget(self.captions)
        splitter.addWidget(self.notes)
        splitter.setStretchFactor(0, 3)
        typing = QHBoxLayout()
        typing.addWidget(self.type_box, 1)
        typing.addWidget(self.send_button)
        buttons = QHBoxLayout()
        buttons.addWidget(self.talk_button)
        buttons.addStretch(1)
        buttons.addWidget(self.end_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.state_label)
        layout.addLayout(meter_row)
        layout.addWidget(self.problem)
        layout.addWidget(splitter, 1)
        layout.addLayout(typing)
        layout.addLayout(buttons)
        self.end_button.clicked.connect(self._end)
        self.talk_button.pressed.connect(self.talk_pressed.emit)
        self.talk_button.released.connect(self.talk_released.emit)
        self.type_box.returnPressed.connect(self._send)
        self.send_button.clicked.connect(self._send)

    def begin(self, title: str, notes: str, push_to_talk: bool, timed: bool, typed_only: bool = False) -> None:
        """Show a role-play that is starting (``typed_only``: the candidate types every turn)."""
        self._typed_only = typed_only
        self.type_box.clear()
        self.type_box.setPlaceholderText("Type what you would say, and press Enter" if typed_only else
                                         "Or type what you would say, and press Enter")
        self.meter.setVisible(not typed_only)
        self.title.setText(title)
        self.notes.setPlainText(notes or "(no notes)")
        self.captions.clear()
        self.problem.clear()
        self._shown = 0
        self._done = False
        self._status = None
        self.timer_label.setText(clock_text(300) if timed else "")
        self.state_label.setText(STATE_TEXT[LiveState.STARTING])
        self.talk_button.setVisible(push_to_talk)
        self.end_button.setEnabled(False)
        self.end_button.setText("&End the role-play")

    def attach(self, status: Callable[[], LiveStatus]) -> None:
        """Start showing a running role-play."""
        self._status = status
        self.end_button.setEnabled(True)
        self._poll.start()
        if self._typed_only:
            self.type_box.setFocus()
        else:
            self.setFocus()

    def refresh(self) -> None:
        """Read the latest snapshot and show it."""
        if self._status is None:
            return
        status = self._status()
        state = TYPING if self._typed_only and status.state == LiveState.LISTENING else status.state
        self.state_label.setText(STATE_TEXT.get(state, state))
        if status.time_left_s is not None:
            self.timer_label.setText(clock_text(status.time_left_s))
        self.meter.set_level(status.level_db)
        for caption in status.captions[self._shown:]:
            who = "You" if caption.speaker == "candidate" else "Patient"
            colour = "#0d47a1" if caption.speaker == "candidate" else "#1b5e20"
            self.captions.append(f"<p><b style='color:{colour}'>{who}:</b> {escape(caption.text)}</p>")
        self._shown = len(status.captions)
        if status.problem:
            self.problem.setText(status.problem)
        if (status.state == LiveState.FINISHED and not self._done) or (status.problem and not self._done):
            self._done = True
            self._poll.stop()
            self.end_button.setEnabled(False)
            self.finished.emit()

    def stop_polling(self) -> None:
        """Stop reading snapshots (the role-play is over or abandoned)."""
        self._poll.stop()

    def _send(self) -> None:
        text = self.type_box.text().strip()
        if text and self._status is not None and not self._done:
            self.type_box.clear()
            self.typed.emit(text)

    def _end(self) -> None:
        self.end_button.setEnabled(False)
        self.end_button.setText("Ending… the patient says goodbye")
        self.end_requested.emit()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self.talk_button.isVisible() and not event.isAutoRepeat():
            self.talk_button.setDown(True)
            self.talk_pressed.emit()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Space and self.talk_button.isVisible() and not event.isAutoRepeat():
            self.talk_button.setDown(False)
            self.talk_released.emit()
            return
        super().keyReleaseEvent(event)
