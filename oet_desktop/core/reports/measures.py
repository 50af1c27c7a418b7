"""Human labels and units for the named measures of a session (see docs/feedback.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

_Format = Callable[[float], str]


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%" if value <= 1 else f"{value:.0f}%"


def _count(value: float) -> str:
    return f"{value:.0f}"


KNOWN: dict[str, tuple[str, _Format]] = {
    "speaking_time_s": ("Your speaking time", lambda v: f"{int(v // 60)} min {int(v % 60):02d} s"),
    "candidate_words": ("Words you said", _count),
    "speech_rate_wpm": ("Speech rate", lambda v: f"{v:.0f} words per minute"),
    "articulation_rate_sps": ("Articulation rate (pauses left out)", lambda v: f"{v:.1f} syllables per second"),
    "pauses_per_min": ("Silent pauses (250 ms or more)", lambda v: f"{v:.1f} per minute"),
    "mean_pause_s": ("Average pause length", lambda v: f"{v:.2f} s"),
    "mid_clause_pauses": ("Pauses in the middle of a clause", _count),
    "end_clause_pauses": ("Pauses at the end of a clause", _count),
    "hesitation_pauses_per_min": ("Hesitation pauses (mid-clause or over 1 s)", lambda v: f"{v:.1f} per minute"),
    "mean_length_of_run": ("Mean length of run", lambda v: f"{v:.1f} syllables between pauses"),
    "fillers_per_100_words": ("Fillers (um, er)", lambda v: f"{v:.1f} per 100 words"),
    "repairs_per_100_words": ("Repetitions and self-corrections", lambda v: f"{v:.1f} per 100 words"),
    "mtld": ("Vocabulary range (MTLD)", lambda v: f"{v:.1f}"),
    "complex_sentence_share": ("Sentences with a subordinate clause", _percent),
    "mean_sentence_words": ("Average sentence length", lambda v: f"{v:.1f} words"),
    "clauses_per_sentence": ("Clauses per sentence", lambda v: f"{v:.1f}"),
    "grammar_slips_per_100_words": ("Likely grammar slips", lambda v: f"{v:.1f} per 100 words"),
    "flesch_reading_ease": ("Plainness of wording (Flesch reading ease)", lambda v: f"{v:.0f}"),
    "low_confidence_share": ("Words the recogniser was unsure of", _percent),
    "mean_word_confidence": ("Average recogniser confidence", _percent),
    "candidate_talk_share": ("Candidate's share of the talking", _percent),
    "open_questions": ("Open questions", _count),
    "closed_questions": ("Closed questions", _count),
    "compound_questions": ("Compound questions", _count),
    "leading_questions": ("Leading questions", _count),
    "cues_voiced": ("Worries or feelings the patient voiced", _count),
    "cues_picked_up": ("... acknowledged straight away", _count),
    "unexplained_terms": ("Technical terms left unexplained", _count),
    "task_coverage": ("Card tasks covered", _percent),
}

MISSING = "—"


def measure_rows(measures: Mapping[str, float | None]) -> list[tuple[str, str]]:
    """(label, value) for each measure present: known ones first in a fixed order, then others by key name."""
    def show(value: float | None, fmt: _Format) -> str:
        if value is None or value != value:  # None or NaN
            return MISSING
        return fmt(float(value))

    rows = [(label, show(measures[key], fmt)) for key, (label, fmt) in KNOWN.items() if key in measures]
    rows += [(key, show(measures[key], lambda v: f"{v:g}")) for key in sorted(k for k in measures if k not in KNOWN)]
    return rows
