"""Page furniture shared by both reports (header band, "Page N of M" footer) and the atomic PDF build."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import IO, Any, BinaryIO

from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from oet_desktop.core.reports.atomic import write_atomically
from oet_desktop.core.reports.fonts import BOLD, REGULAR, register_fonts
from oet_desktop.core.reports.styles import (
    BRAND,
    FOOTER_HEIGHT,
    FRAME_PADDING,
    HEADER_HEIGHT,
    MARGIN,
    MUTED,
    RULE,
    page_size,
)

APP_NAME = "OET Speaking practice"


def _canvas_class(kind: str, generated: str, size: tuple[float, float]) -> type[Canvas]:
    """A canvas that holds pages back until the end so each footer can say "Page N of M"."""

    class NumberedCanvas(Canvas):
        def __init__(self, filename: str | IO[bytes], *args: Any, **kwargs: Any) -> None:
            kwargs["initialFontName"] = REGULAR  # never the built-in Helvetica
            super().__init__(filename, *args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._pages.append(dict(self.__dict__))
            self._startPage()  # type: ignore[attr-defined]

        def save(self) -> None:
            total = len(self._pages)
            for number, state in enumerate(self._pages, start=1):
                self.__dict__.update(state)
                self._furniture(number, total)
                super().showPage()
            super().save()

        def _furniture(self, number: int, total: int) -> None:
            width, height = size
            left, right = MARGIN + FRAME_PADDING, size[0] - MARGIN - FRAME_PADDING
            self.saveState()
            self.setFillColor(BRAND)
            self.rect(0, height - HEADER_HEIGHT, width, HEADER_HEIGHT, stroke=0, fill=1)
            self.setFillColorRGB(1, 1, 1)
            self.setFont(BOLD, 11)
            self.drawString(left, height - HEADER_HEIGHT + 5.2 * mm, APP_NAME)
            self.setFont(REGULAR, 9)
            self.drawRightString(right, height - HEADER_HEIGHT + 5.2 * mm, kind)
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(left, FOOTER_HEIGHT + 4, right, FOOTER_HEIGHT + 4)
            self.setFillColor(MUTED)
            self.setFont(REGULAR, 8)
            self.drawString(left, FOOTER_HEIGHT - 6, f"Generated {generated}")
            self.drawRightString(right, FOOTER_HEIGHT - 6, f"Page {number} of {total}")
            self.restoreState()

    return NumberedCanvas


def generated_text(now: datetime | None = None) -> str:
    """The generation time as the footer shows it."""
    now = now or datetime.now()
    return f"{now.day} {now:%B %Y}, {now:%H:%M}"


def build_pdf(path: Path, size_name: str, flowables: list[Flowable], *, kind: str, title: str) -> Path:
    """Lay out ``flowables`` on pages of ``size_name`` and write the PDF atomically to ``path``."""
    register_fonts()
    size = page_size(size_name)
    canvas_class = _canvas_class(kind, generated_text(), size)

    def build(handle: BinaryIO) -> None:
        doc = SimpleDocTemplate(
            handle, pagesize=size, leftMargin=MARGIN, rightMargin=MARGIN,
            topMargin=HEADER_HEIGHT + 10 * mm, bottomMargin=FOOTER_HEIGHT + 10 * mm,
            title=title, author=APP_NAME, creator=APP_NAME, subject=kind,
        )
        doc.build(list(flowables), canvasmaker=canvas_class)

    return write_atomically(path, build)
