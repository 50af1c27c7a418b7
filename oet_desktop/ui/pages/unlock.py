"""Unlocking a passphrase-protected profile."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QLineEdit, QPushButton, QVBoxLayout, QWidget

from oet_desktop.ui.pages.common import heading, wrapped


class UnlockPage(QWidget):
    """Asks for the passphrase; ``unlock_requested`` carries what was typed."""

    unlock_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.passphrase = QLineEdit()
        self.passphrase.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase.setAccessibleName("Passphrase")
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.message = wrapped()
        self.message.setObjectName("pageError")
        form = QFormLayout()
        form.addRow("&Passphrase:", self.passphrase)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.unlock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(heading("Unlock your practice data"))
        layout.addWidget(wrapped("Your role-plays, recordings and scores are encrypted with your passphrase."))
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addLayout(row)
        layout.addStretch(1)
        self.unlock_button.clicked.connect(self._unlock)
        self.passphrase.returnPressed.connect(self._unlock)

    def _unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return  # one attempt at a time (Enter pressed twice)
        self.message.clear()
        self.unlock_button.setEnabled(False)
        self.unlock_requested.emit(self.passphrase.text())

    def failed(self, message: str) -> None:
        """Show why it did not open, and let the user try again."""
        self.message.setText(message)
        self.unlock_button.setEnabled(True)
        self.passphrase.selectAll()
        self.passphrase.setFocus()
