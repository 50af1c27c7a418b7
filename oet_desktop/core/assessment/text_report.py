"""Plain-text forms of the feedback and progress reports (for the terminal)."""

from __future__ import annotations

from oet_desktop.core.assessment.progress import ProgressReport
from oet_desktop.core.assessment.report import FeedbackReport

MEASURES = (  # (key, label, unit) of the figures a report shows
    ("speech_rate_wpm", "Speech rate", "words/min"), ("articulation_rate_sps", "Articulation rate", "syllables/s"),
    ("mid_clause_pauses_per_min", "Pauses inside a clause", "per min"), ("mean_pause_s", "Mean pause", "s"),
    ("mean_length_of_run", "Mean length of run", "syllables"), ("fillers_per_100_words", "Fillers", "per 100 words"),
    ("mtld", "Lexical diversity (MTLD)", ""), ("low_confidence_share", "Unclear words", "share"),
    ("candidate_talk_share", "Your share of talking", "share"), ("task_coverage", "Tasks covered", "share"),
)


def _stamp(seconds: float | None) -> str:
    if seconds is None:
        return "     "
    return f"{int(seconds // 60)}:{int(seconds % 60):02d}"


def format_feedback(report: FeedbackReport) -> str:
    """The report as it reads in a terminal."""
    lines = [f"{report.scenario_title} ({report.profession}), {report.duration_s / 60:.1f} min", ""]
    for result in report.criteria:
        score = f"{result.score}/{result.maximum}" if result.score is not None else "not assessed"
        lines.append(f"  {result.label:<62} {score:>12}  {result.confidence}")
        if result.score is None:
            lines.append(f"      {result.not_assessed}")
            continue
        for indicator in result.indicators:
            mark = {True: "+", False: "-", None: "?"}[indicator.met]
            lines.append(f"      {mark} {indicator.id} {indicator.note}")
            for quote in indicator.quotes[:1]:
                lines.append(f"          [{_stamp(quote.at)}] \u201c{quote.text}\u201d")
    lines.append("")
    if report.estimate:
        e = report.estimate
        verdict = {True: "reaches B", False: "below B", None: "may or may not reach B"}[e.reaches_b]
        lines.append(f"Estimate: {e.score} (range {e.low}\u2013{e.high}), grade {e.grade} ({e.grade_range}); "
                     f"{verdict}.")
        lines.append(f"  {e.disclaimer}")
    figures = [(label, report.measures.get(key), unit) for key, label, unit in MEASURES]
    shown = [f"  {label}: {value:g} {unit}".rstrip() for label, value, unit in figures if value is not None]
    if shown:
        lines += ["", "Figures:", *shown]
    if report.jargon:
        lines += ["", "Technical terms:"]
        lines += [f"  {j.term} \u2192 {j.lay} ({'explained' if j.explained else 'not explained'})"
                  for j in report.jargon]
    lines += ["", f"Summary ({report.narrative_source}): {report.summary}", "", "Next steps:"]
    lines += [f"  {i}. {step}" for i, step in enumerate(report.next_steps, 1)]
    if report.not_assessed:
        lines += ["", "Not assessed:", *[f"  {line}" for line in report.not_assessed]]
    return "\n".join(lines)


def format_progress(progress: ProgressReport) -> str:
    """Progress as it reads in a terminal."""
    lines = [f"{len(progress.sessions)} role-play(s)"]
    for s in progress.sessions:
        estimate = f"{s.estimate} ({s.grade})" if s.estimate is not None else "no estimate"
        lines.append(f"  {(s.taken_at or '')[:16]:16}  {s.scenario_title[:50]:<50} {estimate}")
    lines += ["", "Trends (recent share of the maximum):"]
    for t in progress.trends:
        recent = f"{t.recent_mean:.0%}" if t.recent_mean is not None else "\u2014"
        lines.append(f"  {t.criterion.label:<62} {recent:>5}  {t.direction}")
    if progress.weakest:
        lines += ["", "Weakest: " + ", ".join(c.label for c in progress.weakest)]
    lines += ["", progress.readiness.explanation]
    if progress.recommendation:
        r = progress.recommendation
        lines += ["", f"Practise next: {r.scenario_title} ({r.scenario_id}). {r.reason}"]
    lines += [f"Note: {n}" for n in progress.notes]
    return "\n".join(lines)
