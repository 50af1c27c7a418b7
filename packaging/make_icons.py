"""Draw the app icon (our own: a speech bubble with a pulse line) as PNGs in the hicolor sizes, with Qt
offscreen. Run once; the PNGs are committed: `QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py`."""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QGuiApplication, QImage, QPainter, QPainterPath, QPen

SIZES = (16, 32, 48, 64, 128, 256, 512)
OUT = Path(__file__).resolve().parent / "icons"


def draw(size: int) -> QImage:
    """The icon at ``size`` pixels."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = size / 64.0
    bubble = QPainterPath()
    bubble.addRoundedRect(QRectF(4 * s, 6 * s, 56 * s, 40 * s), 12 * s, 12 * s)
    tail = QPainterPath()
    tail.moveTo(QPointF(16 * s, 44 * s))
    tail.lineTo(QPointF(12 * s, 58 * s))
    tail.lineTo(QPointF(30 * s, 45 * s))
    tail.closeSubpath()
    shape = bubble.united(tail)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QBrush(QColor("#0d47a1")))
    painter.drawPath(shape)
    pen = QPen(QColor("#ffffff"), max(1.0, 4 * s))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    points = [(12, 26), (22, 26), (27, 16), (33, 36), (38, 22), (42, 26), (52, 26)]
    line = QPainterPath()
    line.moveTo(QPointF(points[0][0] * s, points[0][1] * s))
    for x, y in points[1:]:
        line.lineTo(QPointF(x * s, y * s))
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawPath(line)
    painter.end()
    return image


def main() -> int:
    """Write every size."""
    QGuiApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    for size in SIZES:
        draw(size).save(str(OUT / f"oet-desktop-{size}.png"))
    print(f"wrote {len(SIZES)} icons to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
