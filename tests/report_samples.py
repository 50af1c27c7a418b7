"""Realistic feedback and progress reports for the PDF tests (and anyone else who needs one)."""

from __future__ import annotations

from oet_desktop.core.assessment.criteria import ALL_CRITERIA, CRITERION_INDICATORS, INDICATORS, Criterion
from oet_desktop.core.assessment.progress import ProgressReport, Readiness, Recommendation, SessionSummary, Trend
from oet_desktop.core.assessment.report import (
    CriterionResult,
    Estimate,
    FeedbackReport,
    IndicatorResult,
    JargonFinding,
    Line,
    Quote,
    TaskCoverage,
)

DISCLAIMER = ("This estimate comes from our own rules, not from OET. The official conversion from criterion "
              "scores to the 0-500 scale is not published, so treat it as a guide only.")
NOT_ASSESSED_AUDIO = "not assessed: no candidate audio was recorded"
TRICKY_QUOTE = "Take 5 mg if pain > 7 & fever < 38 <b>degrees</b>"

_SCORES: dict[Criterion, int] = {
    Criterion.INTELLIGIBILITY: 5, Criterion.FLUENCY: 4, Criterion.APPROPRIATENESS: 5,
    Criterion.GRAMMAR_EXPRESSION: 4, Criterion.RELATIONSHIP: 3, Criterion.PERSPECTIVE: 2,
    Criterion.STRUCTURE: 2, Criterion.GATHERING: 1, Criterion.GIVING: 2,
}

TRANSCRIPT: list[Line] = [
    Line("candidate", "Good morning, Mrs Patel. My name is Anna, I'm one of the nurses on the ward today.", 1.2, 6.0),
    Line("patient", "Oh, hello. I've been waiting a while, I hope nothing is wrong.", 6.5, 10.1),
    Line("candidate", "I'm sorry you had to wait. I'd like to talk to you about going home with your new inhaler.",
         10.8, 16.4),
    Line("patient", "I'm worried I won't use it properly. Last time I got confused.", 17.0, 21.2),
    Line("candidate", "That's completely understandable. What do you already know about how it works?", 21.9, 26.5),
    Line("patient", "Not much, really. You just breathe in, don't you?", 27.0, 30.3),
    Line("candidate", "More or less. It's a bronchodilator, which means it opens up the airways in your chest.",
         31.0, 37.8),
    Line("patient", "And how often do I take it?", 38.2, 40.0),
    Line("candidate", "Um, two puffs, er, twice a day, morning and evening. Take 5 mg if pain > 7 & fever < 38.",
         40.6, 49.9),
    Line("patient", "What if I feel short of breath in between?", 50.4, 53.0),
    Line("candidate", "Then use the blue reliever inhaler, and if it doesn't help within ten minutes, call 999.",
         53.7, 60.2),
    Line("patient", "Right. That's a lot to remember.", 60.8, 63.0),
    Line("candidate", "Could you tell me in your own words how you'll use it tomorrow morning?", 63.6, 68.1),
]


def _indicator(code: str, met: bool | None, note: str, *quotes: Quote) -> IndicatorResult:
    return IndicatorResult(code, INDICATORS[code], met, note, tuple(quotes))


def _indicators(criterion: Criterion) -> tuple[IndicatorResult, ...]:
    out = []
    for n, code in enumerate(CRITERION_INDICATORS[criterion]):
        met = (n + _SCORES[criterion]) % 3 != 0
        line = TRANSCRIPT[(2 * n) % len(TRANSCRIPT)]
        quote = Quote(line.text, line.start, turn=n, speaker=line.speaker)
        note = ("Shown clearly in the role-play." if met
                else "Not shown: try this next time, for example by asking an open question first.")
        out.append(_indicator(code, met, note, quote))
    if criterion is Criterion.APPROPRIATENESS:
        out[0] = _indicator("L1", False, "“bronchodilator” was used before it was explained.",
                            Quote(TRICKY_QUOTE, 45.0),
                            Quote("It's a bronchodilator, which means it opens up the airways in your chest. " * 3,
                                  31.0))
    return tuple(out)


def _result(criterion: Criterion, score: int | None, reason: str | None = None) -> CriterionResult:
    if score is None:
        indicators = tuple(_indicator(code, None, "Needs candidate audio.") for code in CRITERION_INDICATORS[criterion])
        return CriterionResult(criterion, None, criterion.maximum, "none", "", indicators, not_assessed=reason)
    summary = {True: "At grade-B level: keep this up.", False: "Below grade-B level: see the missed indicators."}
    return CriterionResult(criterion, score, criterion.maximum, ("high", "medium", "low")[score % 3],
                           summary[score >= criterion.b_level], _indicators(criterion))


def sample_feedback_report() -> FeedbackReport:
    """A full report: nine scores, indicators with timestamped quotes, measures, jargon, tasks, transcript."""
    return FeedbackReport(
        session_id="2025-03-14T09-30-00-inhaler",
        scenario_id="nursing-inhaler-discharge",
        scenario_title="Discharge advice: using a new inhaler",
        profession="Nursing",
        setting="Respiratory ward, city hospital",
        candidate_role="You are a nurse on the respiratory ward.",
        background=("Mrs Patel, 67, was admitted with an asthma flare-up. She goes home today with a new preventer "
                    "inhaler.\nShe is anxious about using it correctly & about side effects."),
        tasks=[
            TaskCoverage("t1", "Find out what the patient already knows about inhalers.", True, 0.81,
                         Quote("What do you already know about how it works?", 21.9)),
            TaskCoverage("t2", "Explain how and when to use the preventer inhaler.", True, 0.77,
                         Quote("Two puffs, twice a day, morning and evening.", 40.6)),
            TaskCoverage("t3", "Reassure her about possible side effects (hoarse voice, sore mouth).", False, 0.31,
                         None),
            TaskCoverage("t4", "Check her understanding before she leaves.", True, 0.72,
                         Quote("Could you tell me in your own words how you'll use it?", 63.6)),
        ],
        taken_at="2025-03-14T09:30:00",
        duration_s=312.4,
        criteria=[_result(c, _SCORES[c]) for c in ALL_CRITERIA],
        measures={
            "speech_rate_wpm": 128.4, "articulation_rate_sps": 4.2, "pauses_per_min": 9.5, "mean_pause_s": 0.74,
            "mid_clause_pauses": 6.0, "mean_length_of_run": 7.3, "fillers_per_100_words": 3.1, "mtld": 62.8,
            "low_confidence_share": 0.06, "candidate_talk_share": None, "custom_measure_x": 1.5,
        },
        jargon=[
            JargonFinding("bronchodilator", "a medicine that opens the airways", True,
                          Quote("It's a bronchodilator, which means it opens up the airways in your chest.", 31.0)),
            JargonFinding("corticosteroid", "a steroid medicine that calms swelling", False,
                          Quote("It's a corticosteroid & it works < a day.", 95.5)),
        ],
        estimate=Estimate(330, 300, 360, "C+", "C+\u2013B", None, DISCLAIMER),
        summary=("You opened warmly and explained the inhaler clearly, but you moved on without asking about Mrs "
                 "Patel's worries about side effects. Your pace was comfortable, with a few fillers."),
        next_steps=[
            "Ask what the patient already knows before explaining.",
            "Pick up worries straight away: “You mentioned feeling confused last time — tell me more.”",
            "Check understanding with teach-back, not “Do you understand?”",
        ],
        narrative_source="template",
        transcript=list(TRANSCRIPT),
        not_assessed=[],
    )


def sample_report_not_assessed() -> FeedbackReport:
    """Intelligibility and fluency not assessed (no candidate audio); everything else as usual."""
    report = sample_feedback_report()
    skip = {Criterion.INTELLIGIBILITY, Criterion.FLUENCY}
    report.criteria = [_result(c, None, NOT_ASSESSED_AUDIO) if c in skip else r
                       for c, r in zip(ALL_CRITERIA, report.criteria, strict=True)]
    report.measures = {k: (None if k.endswith(("_sps", "_s")) else v) for k, v in report.measures.items()}
    report.not_assessed = ["Intelligibility and fluency were not assessed: no candidate audio was recorded."]
    return report


def sample_report_no_estimate() -> FeedbackReport:
    """No overall estimate, with the reasons in ``not_assessed``."""
    report = sample_report_not_assessed()
    report.estimate = None
    report.not_assessed = [*report.not_assessed,
                           "No overall estimate was made because two linguistic criteria have no score."]
    return report


SCENARIOS = [
    ("nursing-inhaler-discharge", "Discharge advice: using a new inhaler"),
    ("nursing-wound-care", "Caring for a leg ulcer dressing at home"),
    ("nursing-pre-op", "Preparing for a knee replacement"),
    ("nursing-diabetes", "A new diagnosis of type 2 diabetes"),
]


def sample_progress_report(sessions: int = 8) -> ProgressReport:
    """Eight sessions, improving on the linguistic criteria, with one session lacking audio."""
    summaries = []
    for n in range(sessions):
        scores: dict[Criterion, int | None] = {
            c: min(c.maximum, max(0, _SCORES[c] - 2 + (n * (c.maximum + 1)) // (sessions * 2) + n % 2))
            for c in ALL_CRITERIA
        }
        if n == 3:
            scores[Criterion.INTELLIGIBILITY] = None
            scores[Criterion.FLUENCY] = None
        scenario_id, title = SCENARIOS[n % len(SCENARIOS)]
        estimate = 250 + 15 * n
        summaries.append(SessionSummary(f"s{n}", f"2025-02-{3 + 3 * n:02d}T10:00:00", scenario_id, title,
                                        "Nursing", scores, None if n == 3 else estimate,
                                        None if n == 3 else ("C" if estimate < 300 else "C+")))
    trends = []
    for c in ALL_CRITERIA:
        values = tuple(s.scores[c] for s in summaries)
        known = [v for v in values if v is not None]
        recent = sum(known[-3:]) / len(known[-3:]) / c.maximum if known else None
        earlier = known[:-3]
        change = None if not earlier or recent is None else recent - sum(earlier) / len(earlier) / c.maximum
        trends.append(Trend(c, values, recent, change))
    weakest = [Criterion.GATHERING, Criterion.PERSPECTIVE, Criterion.STRUCTURE]
    readiness = Readiness(False, 3, tuple(weakest),
                          "Your last three sessions are close to grade-B level, but information gathering, the "
                          "patient's perspective and structure are still below it.")
    recommendation = Recommendation("nursing-diabetes", "A new diagnosis of type 2 diabetes",
                                    "It asks for plenty of information gathering, your weakest criterion.")
    notes = ["Session 4 had no candidate audio, so intelligibility and fluency were not assessed.",
             "Estimates are our own guide, not OET's official conversion."]
    return ProgressReport(summaries, trends, weakest, readiness, recommendation, notes)

