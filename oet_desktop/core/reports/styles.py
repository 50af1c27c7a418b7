"""The look of the reports: colours, paragraph and table styles, page sizes and margins."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import TableStyle

from oet_desktop.core.reports.fonts import BOLD, ITALIC, REGULAR, register_fonts

INK = colors.HexColor("#1F2933")
MUTED = colors.HexColor("#5F6B7A")
BRAND = colors.HexColor("#1D4E6B")
BRAND_LIGHT = colors.HexColor("#E6EEF3")
RULE = colors.HexColor("#C9D2DA")
TRACK = colors.HexColor("#EEF1F4")
GOOD = colors.HexColor("#2E7D5B")
BELOW = colors.HexColor("#C9822B")
MISSED = colors.HexColor("#B0413E")
NOTICE = colors.HexColor("#FFF6E0")
NOTICE_RULE = colors.HexColor("#E2B55A")

MARGIN = 18 * mm
FRAME_PADDING = 6.0
"""reportlab's default frame padding, inside the margin on each side."""
HEADER_HEIGHT = 14 * mm
FOOTER_HEIGHT = 10 * mm

PAGE_SIZES: dict[str, tuple[float, float]] = {"A4": A4, "LETTER": LETTER}


def page_size(name: str) -> tuple[float, float]:
    """Width and height in points for "A4" or "Letter" (any case)."""
    try:
        return PAGE_SIZES[name.strip().upper()]
    except KeyError:
        raise ValueError(f"Unknown page size {name!r}; use 'A4' or 'Letter'.") from None


def frame_width(size: tuple[float, float]) -> float:
    """The width available to the content: between the margins, less the frame's padding."""
    return size[0] - 2 * (MARGIN + FRAME_PADDING)


@dataclass(frozen=True)
class Styles:
    """Paragraph styles used by both reports."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    h1: ParagraphStyle
    h2: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    cell: ParagraphStyle
    cell_bold: ParagraphStyle
    quote: ParagraphStyle
    item: ParagraphStyle
    notice: ParagraphStyle
    big: ParagraphStyle


@lru_cache(maxsize=1)
def styles() -> Styles:
    """The shared styles (fonts registered on first use)."""
    register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9.5, leading=13, textColor=INK, alignment=TA_LEFT,
                          bulletFontName=REGULAR, splitLongWords=True)

    def derive(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return Styles(
        title=derive("title", fontName=BOLD, fontSize=18, leading=22, textColor=BRAND, spaceAfter=2),
        subtitle=derive("subtitle", fontSize=12, leading=16, textColor=INK, spaceAfter=8),
        h1=derive("h1", fontName=BOLD, fontSize=13, leading=17, textColor=BRAND, spaceBefore=12, spaceAfter=5,
                  keepWithNext=True),
        h2=derive("h2", fontName=BOLD, fontSize=10.5, leading=14, textColor=INK, spaceBefore=8, spaceAfter=3,
                  keepWithNext=True),
        body=derive("body", spaceAfter=4),
        small=derive("small", fontSize=8, leading=10.5),
        muted=derive("muted", fontSize=8.5, leading=11.5, textColor=MUTED, spaceAfter=3),
        cell=derive("cell", fontSize=8.5, leading=11),
        cell_bold=derive("cell_bold", fontName=BOLD, fontSize=8.5, leading=11),
        quote=derive("quote", fontName=ITALIC, fontSize=8.5, leading=11.5, textColor=MUTED, leftIndent=28,
                     spaceAfter=2),
        item=derive("item", leftIndent=16, firstLineIndent=-16, spaceAfter=3),
        notice=derive("notice", fontSize=9, leading=12.5),
        big=derive("big", fontName=BOLD, fontSize=12, leading=16, textColor=INK, spaceAfter=4),
    )


def table_style(header: bool = True) -> TableStyle:
    """Light horizontal rules, a tinted header row, top-aligned cells."""
    cmds: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("FONTSIZE", (0, 0), (-1, -1), 8.5),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        cmds += [("BACKGROUND", (0, 0), (-1, 0), BRAND_LIGHT), ("LINEBELOW", (0, 0), (-1, 0), 0.8, BRAND)]
    return TableStyle(cmds)  # type: ignore[arg-type]
