"""Charts drawn with QPainter (no chart library): the nine scores against the grade-B level, and one criterion's
trend over sessions."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

BAR = QColor("#1565c0")
MARK = QColor("#e65100")


class ScoreChart(QWidget):
    """Horizontal bars: each criterion's score out of its maximum, with the grade-B level marked."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[tuple[str, int | None, int, int]] = []  # label, score, maximum, B level
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Scores on the nine criteria")

    def set_rows(self, rows: Sequence[tuple[str, int | None, int, int]]) -> None:
        """Show (label, score or None, maximum, grade-B level) rows."""
        self.rows = list(rows)
        self.setAccessibleDescription("; ".join(f"{label}: {'not assessed' if s is None else f'{s} of {m}'}"
                                                for label, s, m, _ in self.rows))
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, (self.fontMetrics().height() + 10) * max(1, len(self.rows)) + 8)

    def minimumSizeHint(self) -> QSize:
        return QSize(320, self.sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        row_h = metrics.height() + 10
        label_w = min(self.width() // 2, max((metrics.horizontalAdvance(r[0]) for r in self.rows), default=0) + 12)
        bar_w = self.width() - label_w - metrics.horizontalAdvance(" 6/6 ") - 8
        for n, (label, score, maximum, b_level) in enumerate(self.rows):
            top = 4 + n * row_h
            painter.setPen(self.palette().text().color())
            painter.drawText(QRectF(0, top, label_w - 6, row_h), Qt.AlignmentFlag.AlignVCenter,
                             metrics.elidedText(label, Qt.TextElideMode.ElideRight, label_w - 6))
            track = QRectF(label_w, top + 4, bar_w, row_h - 8)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.palette().midlight())
            painter.drawRoundedRect(track, 3, 3)
            if score is not None:
                painter.setBrush(BAR)
                painter.drawRoundedRect(QRectF(track.left(), track.top(), track.width() * score / maximum,
                                               track.height()), 3, 3)
            marker_x = track.left() + track.width() * b_level / maximum
            painter.setPen(QPen(MARK, 2))
            painter.drawLine(QPointF(marker_x, track.top() - 2), QPointF(marker_x, track.bottom() + 2))
            painter.setPen(self.palette().text().color())
            text = "n/a" if score is None else f"{score}/{maximum}"
            painter.drawText(QRectF(track.right() + 6, top, self.width() - track.right() - 6, row_h),
                             Qt.AlignmentFlag.AlignVCenter, text)


class TrendChart(QWidget):
    """One criterion over sessions: points joined by a line, the grade-B level as a dashed line."""

    def __init__(self, title: str, maximum: int, b_level: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title, self.maximum, self.b_level = title, maximum, b_level
        self.values: list[int | None] = []
        self.setMinimumHeight(self.fontMetrics().height() * 5)
        self.setAccessibleName(f"Trend of {title}")

    def set_values(self, values: Sequence[int | None]) -> None:
        """Scores oldest first (None where not assessed)."""
        self.values = list(values)
        known = [v for v in values if v is not None]
        self.setAccessibleDescription(f"{len(known)} scores, latest {known[-1] if known else 'none'} of "
                                      f"{self.maximum}")
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(260, self.fontMetrics().height() * 6)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        metrics = self.fontMetrics()
        painter.setPen(self.palette().text().color())
        painter.drawText(QRectF(0, 0, self.width(), metrics.height()), Qt.AlignmentFlag.AlignLeft,
                         metrics.elidedText(self.title, Qt.TextElideMode.ElideRight, self.width()))
        area = QRectF(4, metrics.height() + 6, self.width() - 8, self.height() - metrics.height() - 10)
        painter.setPen(QPen(self.palette().mid().color(), 1))
        painter.drawRect(area)

        def y(value: float) -> float:
            return area.bottom() - area.height() * value / self.maximum

        painter.setPen(QPen(MARK, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(area.left(), y(self.b_level)), QPointF(area.right(), y(self.b_level)))
        points = [(n, v) for n, v in enumerate(self.values) if v is not None]
        if not points:
            return
        step = area.width() / max(1, len(self.values) - 1) if len(self.values) > 1 else 0.0
        coords = [QPointF(area.left() + (step * n if step else area.width() / 2), y(v)) for n, v in points]
        painter.setPen(QPen(BAR, 2))
        for a, b in itertools.pairwise(coords):
            painter.drawLine(a, b)
        painter.setBrush(BAR)
        for point in coords:
            painter.drawEllipse(point, 3, 3)
