"""Shared bits for pages: headings, wrapped labels, and a page's busy state."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget


def heading(text: str, parent: QWidget | None = None) -> QLabel:
    """A page or section heading (scaled from the user's font, so it follows the system's scaling)."""
    label = QLabel(text, parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    label.setFont(font)
    label.setAccessibleName(text)
    return label


def wrapped(text: str = "", parent: QWidget | None = None) -> QLabel:
    """A label that wraps and can be selected (and read by screen readers)."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
