"""Building blocks shared by both reports: paragraphs, ruled tables, key/value tables, boxed notices, lists."""

from __future__ import annotations

from collections.abc import Sequence

from reportlab.lib import colors
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from oet_desktop.core.reports.fonts import REGULAR
from oet_desktop.core.reports.styles import NOTICE, NOTICE_RULE, RULE, styles, table_style
from oet_desktop.core.reports.text import esc

Cell = Flowable | str


def para(text: str, style_name: str = "body") -> Paragraph:
    """A paragraph of plain text (escaped) in one of the shared styles."""
    return Paragraph(esc(text), getattr(styles(), style_name))


def markup(text: str, style_name: str = "body") -> Paragraph:
    """A paragraph whose text is already reportlab markup (callers escape the plain parts)."""
    return Paragraph(text, getattr(styles(), style_name))


def cell(text: str, bold: bool = False) -> Paragraph:
    """A table cell that wraps."""
    return Paragraph(esc(text), styles().cell_bold if bold else styles().cell)


def ruled_table(header: Sequence[str], rows: Sequence[Sequence[Cell]], widths: Sequence[float],
                extra: Sequence[tuple[object, ...]] = ()) -> Table:
    """A table with a tinted header row (repeated across pages) and light rules between rows."""
    data: list[list[Cell]] = [[cell(h, bold=True) for h in header], *[list(r) for r in rows]]
    style = table_style(header=True)
    for command in extra:
        style.add(*command)  # type: ignore[arg-type,call-arg]
    table = Table(data, colWidths=list(widths), repeatRows=1, style=style, hAlign="LEFT", splitInRow=1)
    return table


def key_values(pairs: Sequence[tuple[str, str]], width: float, key_share: float = 0.24) -> Table:
    """Label/value rows without a header, for facts such as profession and setting."""
    rows = [[cell(key, bold=True), cell(value)] for key, value in pairs]
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),  # tables otherwise set Helvetica, even around paragraphs
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ])
    return Table(rows, colWidths=[width * key_share, width * (1 - key_share)], style=style, hAlign="LEFT",
                 splitInRow=1)


def notice(paragraphs: Sequence[Flowable], width: float, background: colors.Color = NOTICE,
           border: colors.Color = NOTICE_RULE) -> Table:
    """Paragraphs in a tinted box with a coloured left rule, to stand out from the text around it."""
    style = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("BACKGROUND", (0, 0), (-1, -1), background),
        ("LINEBEFORE", (0, 0), (0, -1), 3, border),
        ("LEFTPADDING", (0, 0), (-1, -1), 9),
        ("RIGHTPADDING", (0, 0), (-1, -1), 9),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ])
    return Table([[p] for p in paragraphs], colWidths=[width], style=style, hAlign="LEFT", splitInRow=1)


def numbered(items: Sequence[str]) -> list[Flowable]:
    """"1. …" paragraphs with a hanging indent."""
    return [markup(f"{n}.&nbsp;&nbsp;{esc(item)}", "item") for n, item in enumerate(items, start=1)]


def bullets(items: Sequence[str]) -> list[Flowable]:
    """"• …" paragraphs with a hanging indent."""
    return [markup(f"•&nbsp;&nbsp;{esc(item)}", "item") for item in items]
