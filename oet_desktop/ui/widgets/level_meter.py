"""A microphone level meter: a bar from −60 to 0 dBFS, green while the level is usable."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

FLOOR_DB = -60.0


class LevelMeter(QWidget):
    """Shows a level in dBFS; set it with :meth:`set_level` (from a UI-thread timer)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level_db = FLOOR_DB
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setAccessibleName("Microphone level")
        self.setToolTip("Microphone level")

    def sizeHint(self) -> QSize:
        return QSize(200, max(12, self.fontMetrics().height() // 2 + 6))

    def set_level(self, level_db: float) -> None:
        """Show a new level."""
        self.level_db = max(FLOOR_DB, min(0.0, level_db))
        self.setAccessibleDescription(f"{self.level_db:.0f} dB")
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = QRectF(self.rect()).adjusted(1, 1, -1, -1)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self.palette().mid())
        painter.drawRoundedRect(rect, 4, 4)
        share = (self.level_db - FLOOR_DB) / -FLOOR_DB
        colour = QColor("#2e7d32") if -40 < self.level_db < -3 else QColor("#c62828" if self.level_db >= -3
                                                                           else "#9e9e9e")
        painter.setBrush(colour)
        painter.drawRoundedRect(QRectF(rect.left(), rect.top(), rect.width() * share, rect.height()), 4, 4)
