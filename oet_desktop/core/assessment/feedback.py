"""Assessment of one role-play: evidence → nine criterion results → estimate → narrative → report."""

from __future__ import annotations

import time
from dataclasses import dataclass

from oet_desktop.core.assessment.conversation import Conversation
from oet_desktop.core.assessment.discourse import QuestionType
from oet_desktop.core.assessment.estimate import estimate
from oet_desktop.core.assessment.evidence import Evidence, gather_evidence
from oet_desktop.core.assessment.narrative import template_narrative
from oet_desktop.core.assessment.report import FeedbackReport, JargonFinding, Line, Quote, TaskCoverage
from oet_desktop.core.assessment.scoring import score_all
from oet_desktop.core.embeddings.embedder import Embedder
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon


@dataclass
class Assessor:
    """Scores role-plays with the given embedder and term lexicon (term → everyday wording)."""

    embedder: Embedder
    lexicon: dict[str, str]
    last_seconds: float = 0.0
    """How long the last assessment took (without any model narrative)."""

    @classmethod
    def with_project_lexicon(cls, embedder: Embedder) -> Assessor:
        """An assessor using the project's own medical-terms lexicon."""
        return cls(embedder, load_lexicon())

    def evidence(self, conversation: Conversation) -> Evidence:
        """Every measure the scores rest on."""
        scenario = conversation.scenario
        jargon = JargonDetector.for_scenario(scenario.lay_terms, self.lexicon, scenario.interlocutor_words)
        return gather_evidence(conversation, self.embedder, jargon)

    def assess(self, conversation: Conversation) -> FeedbackReport:
        """The feedback report, with the templated narrative."""
        began = time.perf_counter()
        report = build_report(self.evidence(conversation))
        self.last_seconds = time.perf_counter() - began
        return report


def measures_of(ev: Evidence) -> dict[str, float | None]:
    """The named measures shown in the report (definitions in docs/feedback.md)."""
    fl, cl, lang = ev.fluency, ev.clarity, ev.language
    unexplained = {j.use.term for j in ev.jargon if not j.use.explained}

    def r(value: float | None, digits: int = 2) -> float | None:
        return None if value is None else round(value, digits)

    return {
        "candidate_words": float(lang.words),
        "speaking_time_s": r(fl.speaking_s if fl else None, 1),
        "speech_rate_wpm": r(fl.speech_rate_wpm if fl else None, 1),
        "articulation_rate_sps": r(fl.articulation_rate_sps if fl else None),
        "silent_pauses": float(len(fl.pauses)) if fl else None,
        "pauses_per_min": r(fl.pauses_per_min if fl else None),
        "mean_pause_s": r(fl.mean_pause_s if fl else None),
        "mid_clause_pauses": float(fl.mid_clause_pauses) if fl else None,
        "mid_clause_pauses_per_min": r(fl.mid_clause_per_min if fl else None),
        "hesitation_pauses_per_min": r(fl.hesitations_per_min if fl else None),
        "end_clause_pauses": float(len(fl.pauses) - fl.mid_clause_pauses) if fl else None,
        "mean_length_of_run": r(fl.mean_length_of_run if fl else None, 1),
        "fillers_per_100_words": r(fl.fillers_per_100_words if fl else None),
        "repairs_per_100_words": r(lang.repairs_per_100_words),
        "mtld": r(lang.mtld, 1),
        "complex_sentence_share": r(lang.complex_share),
        "mean_sentence_words": r(lang.mean_sentence_words, 1),
        "clauses_per_sentence": r(lang.clauses_per_sentence),
        "grammar_slips_per_100_words": r(lang.errors_per_100_words),
        "flesch_reading_ease": r(lang.flesch_reading_ease, 1),
        "low_confidence_share": r(cl.low_confidence_share if cl else None, 3),
        "mean_word_confidence": r(cl.mean_probability if cl else None, 3),
        "candidate_talk_share": r(ev.talk_share),
        **{f"{kind.value}_questions": float(ev.count(kind)) for kind in QuestionType},
        "cues_voiced": float(len(ev.cues)),
        "cues_picked_up": float(sum(c.picked_up for c in ev.cues)),
        "unexplained_terms": float(len(unexplained)),
        "task_coverage": r(ev.coverage.share),
    }


def build_report(ev: Evidence) -> FeedbackReport:
    """Score the evidence and assemble the report."""
    conversation = ev.conversation
    scenario = conversation.scenario
    criteria = score_all(ev)
    measures = measures_of(ev)
    summary, steps = template_narrative(criteria, measures)
    not_assessed = [f"{c.label}: {c.not_assessed}." for c in criteria if c.not_assessed]
    result = estimate(criteria)
    if result is None:
        not_assessed.append("No overall estimate: it needs all nine criteria to be assessed.")
    tasks = [TaskCoverage(t.task_id, t.text, t.covered, t.similarity,
                          Quote(t.sentence, t.utterance.start, t.utterance.turn) if t.sentence and t.utterance
                          else None) for t in ev.coverage.tasks]
    seen: set[str] = set()
    jargon = []
    for instance in ev.jargon:
        key = f"{instance.use.term}|{instance.use.explained}"
        if key not in seen:
            seen.add(key)
            u = instance.utterance
            jargon.append(JargonFinding(instance.use.term, instance.use.lay, instance.use.explained,
                                        Quote(u.text, u.start, u.turn)))
    return FeedbackReport(
        session_id=conversation.session_id, scenario_id=scenario.id, scenario_title=scenario.title,
        profession=scenario.profession.label, setting=scenario.setting, candidate_role=scenario.candidate.role,
        background=scenario.candidate.background, tasks=tasks, taken_at=conversation.taken_at,
        duration_s=round(conversation.duration_s, 1), criteria=criteria, measures=measures, jargon=jargon,
        estimate=result, summary=summary, next_steps=steps, narrative_source="template",
        transcript=[Line(u.speaker, u.text, u.start, u.end, u.turn) for u in conversation.utterances],
        not_assessed=not_assessed,
    )
