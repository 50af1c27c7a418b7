"""Human labels and units for the named measures of a session (see docs/feedback.md)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

_Format = Callable[[float], str]


def _percent(value: float) -> str:
    return f"{value * 100:.0f}%" if value <= 1 else f"{value:.0f}%"


KNOWN: dict[str, tuple[str, _Format]] = {
    "speech_rate_wpm": ("Speech rate", lambda v: f"{v:.0f} words per minute"),
    "articulation_rate_sps": ("Articulation rate (pauses left out)", lambda v: f"{v:.1f} syllables per second"),
    "pauses_per_min": ("Pauses", lambda v: f"{v:.1f} per minute"),
    "mean_pause_s": ("Average pause length", lambda v: f"{v:.2f} s"),
    "mid_clause_pauses": ("Pauses in the middle of a clause", lambda v: f"{v:.0f}"),
    "mean_length_of_run": ("Mean length of run", lambda v: f"{v:.1f} words between pauses"),
    "fillers_per_100_words": ("Fillers (um, er) and restarts", lambda v: f"{v:.1f} per 100 words"),
    "mtld": ("Vocabulary range (MTLD)", lambda v: f"{v:.1f}"),
    "low_confidence_share": ("Words the recogniser was unsure of", _percent),
    "candidate_talk_share": ("Candidate's share of the talking", _percent),
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
