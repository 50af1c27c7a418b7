"""Charts drawn with reportlab.graphics: the nine scores as bars, and each criterion's trend over sessions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from reportlab.graphics.shapes import Circle, Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth

from oet_desktop.core.assessment.criteria import Criterion
from oet_desktop.core.assessment.progress import Trend
from oet_desktop.core.assessment.report import CriterionResult
from oet_desktop.core.reports.fonts import BOLD, ITALIC, REGULAR, register_fonts
from oet_desktop.core.reports.styles import BELOW, BRAND, GOOD, INK, MUTED, RULE, TRACK

SHORT_LABELS: dict[Criterion, str] = {
    Criterion.INTELLIGIBILITY: "Intelligibility",
    Criterion.FLUENCY: "Fluency",
    Criterion.APPROPRIATENESS: "Appropriateness",
    Criterion.GRAMMAR_EXPRESSION: "Grammar & expression",
    Criterion.RELATIONSHIP: "A. Relationship",
    Criterion.PERSPECTIVE: "B. Patient's perspective",
    Criterion.STRUCTURE: "C. Structure",
    Criterion.GATHERING: "D. Info gathering",
    Criterion.GIVING: "E. Info giving",
}

_ROW = 27.0
_BAR = 10.0
_SCORE_COLUMN = 64.0


def _drawing(width: float, height: float) -> Drawing:
    register_fonts()
    drawing = Drawing(width, height)
    drawing.initialFontName = REGULAR  # type: ignore[attr-defined]  # keeps the built-in Helvetica out
    return drawing


def _text(x: float, y: float, text: str, size: float = 8, font: str = REGULAR, color: colors.Color = INK,
          anchor: Literal["start", "middle", "end"] = "start") -> String:
    return String(x, y, text, fontName=font, fontSize=size, fillColor=color, textAnchor=anchor)


def _rect(x: float, y: float, width: float, height: float, fill: colors.Color | None,
          stroke: colors.Color | None = None, stroke_width: float = 0.6, dashed: bool = False) -> Rect:
    rect = Rect(x, y, width, height)  # the stubs mistype Rect's keyword arguments, so set attributes
    rect.fillColor = fill
    rect.strokeColor = stroke
    rect.strokeWidth = stroke_width
    if dashed:
        rect.strokeDashArray = [2, 2]
    return rect


def score_bars(results: Sequence[CriterionResult], width: float) -> Drawing:
    """One bar per criterion showing its score as a share of the maximum, with "5/6" beside it, a tick at
    the grade-B level, and a dashed empty bar labelled "Not assessed" where there is no score."""
    legend = _legend_layout(width)
    legend_h = _LEGEND_ROW * (max(row for _, _, row in legend) + 1) + 4
    height = _ROW * len(results) + legend_h
    drawing = _drawing(width, height)
    track = width - _SCORE_COLUMN
    for index, result in enumerate(results):
        top = height - index * _ROW
        bar_y = top - 12 - _BAR - 2
        drawing.add(_text(0, top - 10, result.label, 8, BOLD))
        if result.score is None:
            drawing.add(_rect(0, bar_y, track, _BAR, colors.white, MUTED, dashed=True))
            drawing.add(_text(6, bar_y + 2.4, "Not assessed", 7, ITALIC, MUTED))
            drawing.add(_text(track + 8, bar_y + 1.5, "—", 9, BOLD, MUTED))
        else:
            share = max(0.0, min(1.0, result.score / result.maximum)) if result.maximum else 0.0
            reached = result.score >= result.criterion.b_level
            drawing.add(_rect(0, bar_y, track, _BAR, TRACK))
            if share > 0:
                drawing.add(_rect(0, bar_y, track * share, _BAR, GOOD if reached else BELOW))
            drawing.add(_text(track + 8, bar_y + 1.5, f"{result.score}/{result.maximum}", 9, BOLD))
        if result.maximum:
            marker = track * result.criterion.b_level / result.maximum
            drawing.add(Line(marker, bar_y - 2.5, marker, bar_y + _BAR + 2.5, strokeColor=INK, strokeWidth=1.3))
    for (key, label), x, row in legend:
        _legend_item(drawing, key, label, x, legend_h - (row + 1) * _LEGEND_ROW)
    return drawing


_LEGEND_ROW = 12.0
_LEGEND_ITEMS = (("good", "At grade-B level or above"), ("below", "Below grade-B level"),
                 ("none", "Not assessed"), ("marker", "Grade-B level (5/6, 2/3; an unofficial rule of thumb)"))


def _legend_layout(width: float) -> list[tuple[tuple[str, str], float, int]]:
    """Each legend item with its x position and row, wrapping onto a new row when the width runs out."""
    placed: list[tuple[tuple[str, str], float, int]] = []
    x, row = 0.0, 0
    for item in _LEGEND_ITEMS:
        item_w = 16 + stringWidth(item[1], REGULAR, 7)
        if x > 0 and x + item_w > width:
            x, row = 0.0, row + 1
        placed.append((item, x, row))
        x += item_w + 14
    return placed


def _legend_item(drawing: Drawing, key: str, label: str, x: float, y: float) -> None:
    if key == "marker":
        drawing.add(Line(x + 5, y - 1.5, x + 5, y + 8.5, strokeColor=INK, strokeWidth=1.3))
    else:
        fill = {"good": GOOD, "below": BELOW}.get(key, colors.white)
        drawing.add(_rect(x, y, 12, 7, fill, MUTED if key == "none" else None, dashed=key == "none"))
    drawing.add(_text(x + 16, y + 0.5, label, 7, REGULAR, MUTED))


_PANEL_H = 92.0
_GAP = 14.0


def trend_panels(trends: Sequence[Trend], width: float, columns: int = 3) -> Drawing:
    """A small line chart per criterion (scores over sessions, oldest first) with the grade-B level dashed."""
    rows = max(1, -(-len(trends) // columns))
    height = rows * (_PANEL_H + _GAP)
    drawing = _drawing(width, height)
    panel_w = (width - (columns - 1) * _GAP) / columns
    for index, trend in enumerate(trends):
        row, col = divmod(index, columns)
        x0 = col * (panel_w + _GAP)
        y0 = height - (row + 1) * (_PANEL_H + _GAP) + _GAP
        _panel(drawing, trend, x0, y0, panel_w)
    return drawing


def _panel(drawing: Drawing, trend: Trend, x0: float, y0: float, width: float) -> None:
    criterion = trend.criterion
    maximum = criterion.maximum
    left, bottom = x0 + 14, y0 + 13
    plot_w, plot_h = width - 18, _PANEL_H - 30
    drawing.add(_text(x0, y0 + _PANEL_H - 8, SHORT_LABELS[criterion], 7.5, BOLD))
    drawing.add(_rect(left, bottom, plot_w, plot_h, None, RULE, 0.5))
    for level in range(maximum + 1):
        y = bottom + plot_h * level / maximum
        if 0 < level < maximum:
            drawing.add(Line(left, y, left + plot_w, y, strokeColor=RULE, strokeWidth=0.3))
        if level in (0, maximum) or maximum <= 3:
            drawing.add(_text(left - 4, y - 2, str(level), 6, REGULAR, MUTED, "end"))
    b_y = bottom + plot_h * criterion.b_level / maximum
    drawing.add(Line(left, b_y, left + plot_w, b_y, strokeColor=GOOD, strokeWidth=0.8, strokeDashArray=[3, 2]))
    values = trend.values
    count = len(values)
    if count == 0:
        drawing.add(_text(left + plot_w / 2, bottom + plot_h / 2, "No sessions", 7, ITALIC, MUTED, "middle"))
        return

    def x_at(i: int) -> float:
        return left + plot_w / 2 if count == 1 else left + 6 + (plot_w - 12) * i / (count - 1)

    step = max(1, -(-count // 8))
    for i in range(count):
        if i % step == 0 or i == count - 1:
            drawing.add(_text(x_at(i), y0 + 3, str(i + 1), 6, REGULAR, MUTED, "middle"))
    run: list[float] = []
    for i, value in enumerate([*values, None]):
        if value is None:
            if len(run) >= 4:
                drawing.add(PolyLine(run, strokeColor=BRAND, strokeWidth=1.2))
            run = []
            continue
        point = (x_at(i), bottom + plot_h * max(0, min(value, maximum)) / maximum)
        run.extend(point)
        drawing.add(Circle(point[0], point[1], 1.8, fillColor=BRAND, strokeColor=None))
    if all(v is None for v in values):
        drawing.add(_text(left + plot_w / 2, bottom + plot_h / 2, "Not assessed", 7, ITALIC, MUTED, "middle"))
