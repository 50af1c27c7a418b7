"""The progress report PDF: readiness for grade B, weakest criteria, what to practise next, and trends."""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Spacer

from oet_desktop.core.assessment.criteria import ALL_CRITERIA, Criterion
from oet_desktop.core.assessment.progress import ProgressReport, Trend
from oet_desktop.core.reports.blocks import Cell, bullets, cell, key_values, markup, notice, para, ruled_table
from oet_desktop.core.reports.charts import trend_panels
from oet_desktop.core.reports.document import build_pdf
from oet_desktop.core.reports.styles import BRAND_LIGHT, GOOD, NOTICE, NOTICE_RULE, frame_width
from oet_desktop.core.reports.styles import page_size as page_dimensions
from oet_desktop.core.reports.text import EN_DASH, esc, parse_time, short_date

CODES: dict[Criterion, str] = {
    Criterion.INTELLIGIBILITY: "I", Criterion.FLUENCY: "F", Criterion.APPROPRIATENESS: "L",
    Criterion.GRAMMAR_EXPRESSION: "G", Criterion.RELATIONSHIP: "A", Criterion.PERSPECTIVE: "B",
    Criterion.STRUCTURE: "C", Criterion.GATHERING: "D", Criterion.GIVING: "E",
}
_ARROWS = {"improving": "↑ Improving", "slipping": "↓ Slipping", "steady": "→ Steady"}


def write_progress_pdf(progress: ProgressReport, path: Path, page_size: str = "A4",
                       candidate_name: str | None = None) -> Path:
    """Write the progress report to ``path`` ("A4" or "Letter" pages); returns the path.

    The file is replaced atomically; a folder that cannot be written raises a ``UserFacingError``.
    """
    width = frame_width(page_dimensions(page_size))
    story = [*_heading(progress, width, candidate_name), *_readiness(progress, width), *_next(progress),
             *_trends(progress, width), *_sessions(progress, width), *_directions(progress, width)]
    if progress.notes:
        story += [para("Notes", "h1"), *bullets(progress.notes)]
    title = "OET Speaking progress report" + (f": {candidate_name}" if candidate_name else "")
    return build_pdf(path, page_size, story, kind="Progress report", title=title)


def date_range(progress: ProgressReport) -> str:
    """"3 Feb 2025 to 28 Mar 2025" (with an en dash) over the sessions with a known date."""
    known = sorted((when, s.taken_at) for s in progress.sessions if (when := parse_time(s.taken_at)) is not None)
    if not known:
        return "Unknown"
    first, last = short_date(known[0][1]), short_date(known[-1][1])
    return first if first == last else f"{first} {EN_DASH} {last}"


def _heading(progress: ProgressReport, width: float, name: str | None) -> list[Flowable]:
    count = len(progress.sessions)
    facts = [("Candidate", name)] if name else []
    facts += [("Sessions", f"{count} role-play{'' if count == 1 else 's'}"), ("Dates", date_range(progress))]
    return [para("Progress report", "title"),
            para(name or "OET Speaking role-plays", "subtitle"),
            key_values(facts, width)]


def _readiness(progress: ProgressReport, width: float) -> list[Flowable]:
    readiness = progress.readiness
    verdict = "Ready for grade B" if readiness.ready else "Not yet at grade-B level"
    body = [para(verdict, "big"), para(readiness.explanation, "notice"),
            para(f"Based on the last {readiness.sessions_considered} session"
                 f"{'' if readiness.sessions_considered == 1 else 's'}.", "muted")]
    if readiness.criteria_below_b:
        below = ", ".join(c.label for c in readiness.criteria_below_b)
        body.append(markup(f"<b>Below grade-B level:</b> {esc(below)}", "notice"))
    box = notice(body, width, background=BRAND_LIGHT, border=GOOD) if readiness.ready else notice(
        body, width, background=NOTICE, border=NOTICE_RULE)
    story: list[Flowable] = [para("Readiness for grade B", "h1"), box]
    if progress.weakest:
        trends = {t.criterion: t for t in progress.trends}
        story.append(para("Weakest criteria", "h2"))
        story += bullets([f"{c.label}{_level_suffix(trends.get(c))}" for c in progress.weakest])
    return story


def _level_suffix(trend: Trend | None) -> str:
    if trend is None or trend.recent_mean is None:
        return ""
    return f" (recently about {trend.recent_mean * trend.criterion.maximum:.1f}/{trend.criterion.maximum})"


def _next(progress: ProgressReport) -> list[Flowable]:
    story: list[Flowable] = [para("Practise next", "h1")]
    rec = progress.recommendation
    if rec is None:
        return [*story, para("No particular role-play is recommended yet.", "muted")]
    return [*story, para(rec.scenario_title, "big"), para(rec.reason)]


def _trends(progress: ProgressReport, width: float) -> list[Flowable]:
    if not progress.trends:
        return []
    return [para("Scores over time", "h1"), trend_panels(progress.trends, width),
            para("Each panel shows one criterion across the sessions, oldest first (numbered along the bottom). "
                 "The dashed line marks grade-B level; gaps are sessions where it was not assessed.", "muted")]


def _sessions(progress: ProgressReport, width: float) -> list[Flowable]:
    story: list[Flowable] = [para("Sessions", "h1")]
    if not progress.sessions:
        return [*story, para("No sessions yet.", "muted")]
    header = ["#", "Date", "Scenario", *(CODES[c] for c in ALL_CRITERIA), "Estimate", "Grade"]
    rows: list[list[Cell]] = [[cell(str(n)), cell(short_date(s.taken_at)), cell(s.scenario_title),
             *(_score(s.scores.get(c)) for c in ALL_CRITERIA),
             cell("—" if s.estimate is None else str(s.estimate)), cell(s.grade or "—")]
            for n, s in enumerate(progress.sessions, start=1)]
    score_w = 0.044 * width
    widths = [0.04 * width, 0.13 * width, 0.235 * width, *([score_w] * 9), 0.11 * width, 0.08 * width]
    extra = [("ALIGN", (3, 0), (11, -1), "CENTER"), ("LEFTPADDING", (3, 0), (11, -1), 1),
             ("RIGHTPADDING", (3, 0), (11, -1), 1)]
    key = "; ".join(f"{CODES[c]} {_plain_label(c)}" for c in ALL_CRITERIA)
    return [*story, para(f"Key: {key}. The first four are scored out of 6, A{EN_DASH}E out of 3; “{EN_DASH}” means not "
                         "assessed.",
                         "muted"),
            ruled_table(header, rows, widths, extra)]


def _plain_label(criterion: Criterion) -> str:
    """The label without its "A. " prefix."""
    label = criterion.label
    return label[3:] if label[1:3] == ". " else label


def _score(value: int | None) -> str:
    return EN_DASH if value is None else str(value)


def _directions(progress: ProgressReport, width: float) -> list[Flowable]:
    if not progress.trends:
        return []
    rows = []
    for trend in progress.trends:
        maximum = trend.criterion.maximum
        values = " ".join(_score(v) for v in trend.values) or "—"
        recent = "—" if trend.recent_mean is None else f"{trend.recent_mean * maximum:.1f}/{maximum}"
        rows.append([cell(trend.criterion.label, bold=True), cell(values), cell(recent),
                     cell(_ARROWS.get(trend.direction, "Not enough data"))])
    return [para("Direction per criterion", "h1"),
            ruled_table(["Criterion", "Scores, oldest first", "Recent average", "Direction"], rows,
                        [0.4 * width, 0.25 * width, 0.15 * width, 0.2 * width]),
            Spacer(1, 4)]
