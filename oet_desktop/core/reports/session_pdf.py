"""The session report PDF: one role-play's scores, evidence, figures, transcript excerpt and next steps."""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Spacer

from oet_desktop.core.assessment.report import (
    CriterionResult,
    Estimate,
    FeedbackReport,
    IndicatorResult,
    Quote,
)
from oet_desktop.core.reports.blocks import (
    bullets,
    cell,
    key_values,
    markup,
    notice,
    numbered,
    para,
    ruled_table,
)
from oet_desktop.core.reports.charts import score_bars
from oet_desktop.core.reports.document import build_pdf
from oet_desktop.core.reports.measures import measure_rows
from oet_desktop.core.reports.styles import GOOD, MISSED, MUTED, frame_width
from oet_desktop.core.reports.styles import page_size as page_dimensions
from oet_desktop.core.reports.text import EN_DASH, duration, esc, nice_date, speaker_name, stamp

TRANSCRIPT_LINES = 20
NOT_ASSESSED = "Not assessed"


def write_session_pdf(report: FeedbackReport, path: Path, page_size: str = "A4") -> Path:
    """Write the session report for ``report`` to ``path`` ("A4" or "Letter" pages); returns the path.

    The file is replaced atomically; a folder that cannot be written raises a ``UserFacingError``.
    """
    width = frame_width(page_dimensions(page_size))
    story: list[Flowable] = []
    for section in (_heading, _estimate, _scores, _criteria, _measures, _jargon, _transcript, _summary,
                    _not_assessed):
        story += section(report, width)
    return build_pdf(path, page_size, story, kind="Session report",
                     title=f"OET Speaking session report: {report.scenario_title}")


def _heading(report: FeedbackReport, width: float) -> list[Flowable]:
    tasks = [
        [cell(str(n)), cell(task.text), _covered(task.covered),
         cell(_quote_text(task.quote) if task.quote else "—")]
        for n, task in enumerate(report.tasks, start=1)
    ]
    story: list[Flowable] = [
        para("Session report", "title"),
        para(report.scenario_title, "subtitle"),
        key_values([("Profession", report.profession), ("Setting", report.setting),
                    ("Date taken", nice_date(report.taken_at)), ("Duration", duration(report.duration_s)),
                    ("Session", report.session_id)], width),
        para("Candidate card", "h1"),
        key_values([("Role", report.candidate_role), ("Background", report.background)], width),
        Spacer(1, 6),
        para("Tasks", "h2"),
    ]
    if tasks:
        story.append(ruled_table(["#", "Task", "Covered", "Closest words"], tasks,
                                 [0.05 * width, 0.45 * width, 0.16 * width, 0.34 * width]))
    else:
        story.append(para("The candidate card lists no tasks.", "muted"))
    return story


def _covered(covered: bool) -> Flowable:
    if covered:
        return markup(f'<font color="{GOOD.hexval()}">✓</font> Covered', "cell")
    return markup(f'<font color="{MISSED.hexval()}">✗</font> Not covered', "cell")


def _estimate(report: FeedbackReport, width: float) -> list[Flowable]:
    story: list[Flowable] = [para("Overall estimate", "h1")]
    estimate = report.estimate
    if estimate is None:
        story.append(para("No overall estimate was made for this session.", "big"))
        story += bullets(report.not_assessed or ["Too little could be assessed to estimate an overall score."])
        return story
    story += [para(estimate_line(estimate), "big"), para(_reaches_b(estimate.reaches_b))]
    story.append(notice([markup(f"<b>About this estimate.</b> {esc(estimate.disclaimer)}", "notice")], width))
    return story


def estimate_line(estimate: Estimate) -> str:
    """"Estimated score 330 (range 300 to 360), grade C+ (C+ to B)", with en dashes for the ranges."""
    return (f"Estimated score {estimate.score} (range {estimate.low}{EN_DASH}{estimate.high}), "
            f"grade {estimate.grade} ({estimate.grade_range})")


def _reaches_b(reaches: bool | None) -> str:
    if reaches is True:
        return "This reaches grade B (350), even at the low end of the range."
    if reaches is False:
        return "This does not reach grade B (350), even at the high end of the range."
    return "The range spans grade B (350): this performance may or may not reach grade B."


def score_text(result: CriterionResult) -> str:
    """"5/6", or "Not assessed"."""
    return NOT_ASSESSED if result.score is None else f"{result.score}/{result.maximum}"


def _scores(report: FeedbackReport, width: float) -> list[Flowable]:
    rows = [[cell(r.label, bold=True), cell(score_text(r)),
             cell("—" if r.score is None or r.confidence == "none" else r.confidence.capitalize()),
             cell(_reason(r) if r.score is None else r.summary)]
            for r in report.criteria]
    return [
        para("Scores on the nine criteria", "h1"),
        score_bars(report.criteria, width),
        Spacer(1, 8),
        ruled_table(["Criterion", "Score", "Confidence", "In one line"], rows,
                    [0.31 * width, 0.15 * width, 0.13 * width, 0.41 * width]),
    ]


def _reason(result: CriterionResult) -> str:
    reason = (result.not_assessed or "no reason was recorded").strip()
    if reason.lower().startswith(NOT_ASSESSED.lower()):
        return reason[0].upper() + reason[1:]
    return f"{NOT_ASSESSED}: {reason}"


def _criteria(report: FeedbackReport, width: float) -> list[Flowable]:
    story: list[Flowable] = [para("Evidence for each criterion", "h1")]
    for result in report.criteria:
        story.append(para(f"{result.label} — {score_text(result)}", "h2"))
        if result.score is None:
            story.append(para(_reason(result), "muted"))
            continue
        if result.summary:
            story.append(para(result.summary))
        ordered = [*result.met, *result.missed, *(i for i in result.indicators if i.met is None)]
        for indicator in ordered:
            story += _indicator(indicator)
    return story


def _indicator(indicator: IndicatorResult) -> list[Flowable]:
    if indicator.met is True:
        mark = f'<font color="{GOOD.hexval()}">✓</font>'
    elif indicator.met is False:
        mark = f'<font color="{MISSED.hexval()}">✗</font>'
    else:
        mark = f'<font color="{MUTED.hexval()}">{EN_DASH}</font>'
    status = "" if indicator.met is not None else " <i>(not assessed)</i>"
    note = f" — {esc(indicator.note)}" if indicator.note else ""
    story: list[Flowable] = [markup(f"{mark}&nbsp;&nbsp;<b>{esc(indicator.label)}</b>{status}{note}", "item")]
    story += [para(_quote_text(q), "quote") for q in indicator.quotes]
    return story


def _quote_text(quote: Quote) -> str:
    who = "" if quote.speaker == "candidate" else f"{speaker_name(quote.speaker)}: "
    when = stamp(quote.at)
    return f"{who}“{quote.text.strip()}”" + (f" {when}" if when else "")


def _measures(report: FeedbackReport, width: float) -> list[Flowable]:
    rows = measure_rows(report.measures)
    story: list[Flowable] = [para("Fluency and language figures", "h1")]
    if not rows:
        return [*story, para("No figures could be measured for this session.", "muted")]
    return [*story, ruled_table(["Measure", "Value"], [[cell(k), cell(v)] for k, v in rows],
                                [0.55 * width, 0.45 * width])]


def _jargon(report: FeedbackReport, width: float) -> list[Flowable]:
    story: list[Flowable] = [para("Technical terms", "h1")]
    if not report.jargon:
        return [*story, para("No technical terms needing an everyday explanation were found.", "muted")]
    rows = [[cell(j.term, bold=True), cell(j.lay), _explained(j.explained), cell(_quote_text(j.quote))]
            for j in report.jargon]
    return [*story, ruled_table(["Term", "Everyday wording", "Explained", "What was said"], rows,
                                [0.2 * width, 0.22 * width, 0.14 * width, 0.44 * width])]


def _explained(explained: bool) -> Flowable:
    if explained:
        return markup(f'<font color="{GOOD.hexval()}">✓</font> Yes', "cell")
    return markup(f'<font color="{MISSED.hexval()}">✗</font> No', "cell")


def _transcript(report: FeedbackReport, width: float) -> list[Flowable]:
    story: list[Flowable] = [para("Transcript excerpt", "h1")]
    lines = report.transcript[:TRANSCRIPT_LINES]
    if not lines:
        return [*story, para("No transcript was recorded.", "muted")]
    rows = [[cell(speaker_name(line.speaker), bold=True), cell(stamp(line.start)), cell(line.text)]
            for line in lines]
    story.append(ruled_table(["Speaker", "Time", "What was said"], rows,
                             [0.15 * width, 0.1 * width, 0.75 * width]))
    if len(report.transcript) > len(lines):
        story.append(para(f"The first {len(lines)} of {len(report.transcript)} lines are shown.", "muted"))
    return story


def _summary(report: FeedbackReport, width: float) -> list[Flowable]:
    source = "the local language model" if report.narrative_source == "llm" else "the app's feedback templates"
    story: list[Flowable] = [para("Summary", "h1"), para(report.summary or "No summary was written."),
                             para(f"Written by {source}.", "muted"), para("Next steps", "h2")]
    return story + (numbered(report.next_steps) if report.next_steps else [para("None suggested.", "muted")])


def _not_assessed(report: FeedbackReport, width: float) -> list[Flowable]:
    if not report.not_assessed:
        return []
    return [para("What could not be assessed", "h1"), *bullets(report.not_assessed)]
