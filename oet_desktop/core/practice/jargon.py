"""Technical terms used without a lay explanation: the scenario's `lay_terms` plus the project lexicon."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from oet_desktop.core.paths import project_root
from oet_desktop.core.practice.text import content_words

EXPLANATION_MARKERS = (
    "which means", "that means", "this means", "it means", "meaning", "in other words", "that is",
    "that's", "basically", "which is", "or what", "also called", "known as", "a kind of", "a type of",
    "put simply", "simply put", "in plain", "i.e.",
)


def lexicon_path() -> Path:
    """The project's own lexicon of clinical terms and plain alternatives."""
    return project_root() / "resources" / "lexicon" / "medical-terms.yaml"


def load_lexicon(path: Path | None = None) -> dict[str, str]:
    """The lexicon's terms (term → lay wording); empty if the file is absent."""
    path = path or lexicon_path()
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    terms = raw.get("terms", {}) if isinstance(raw, dict) else {}
    return {str(k): str(v) for k, v in terms.items() if isinstance(v, str)}


@dataclass(frozen=True)
class JargonUse:
    """A technical term found in an utterance, with the lay wording that would have explained it."""

    term: str
    lay: str
    explained: bool


def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    body = r"[\s-]+".join(words)
    flags = 0 if term.isupper() else re.IGNORECASE  # abbreviations (DVT, BP) only in capitals
    return re.compile(rf"(?<![\w-]){body}s?(?![\w-])", flags)


class JargonDetector:
    """Finds technical terms in what the candidate says and whether each was explained in lay words."""

    def __init__(self, terms: Mapping[str, str]) -> None:
        # Longest terms first, so "deep vein thrombosis" wins over "thrombosis".
        self._terms = sorted(terms.items(), key=lambda item: -len(item[0]))
        self._patterns = {term: _pattern(term) for term, _ in self._terms}

    @classmethod
    def for_scenario(cls, lay_terms: Mapping[str, str], lexicon: Mapping[str, str],
                     known_text: str = "") -> JargonDetector:
        """The scenario's own terms take precedence over the lexicon's wording. Terms found in ``known_text``
        (what the interlocutor says and knows: brief, facts, cues) are words this person uses themselves, so
        they are not queried ("MRI" for someone booked for an MRI)."""
        terms = {**lexicon, **lay_terms}
        return cls({t: lay for t, lay in terms.items() if not _pattern(t).search(known_text)})

    def find(self, utterance: str) -> list[JargonUse]:
        """Every term used, in order of appearance, each marked explained or not."""
        found: list[tuple[int, JargonUse]] = []
        taken: list[tuple[int, int]] = []
        lowered = utterance.lower()
        for term, lay in self._terms:
            for match in self._patterns[term].finditer(utterance):
                span = match.span()
                if any(span[0] < end and start < span[1] for start, end in taken):
                    continue  # inside a longer term already found
                taken.append(span)
                found.append((span[0], JargonUse(term, lay, self._explained(lowered, span[1], lay))))
        return [use for _, use in sorted(found, key=lambda item: item[0])]

    def first_unexplained(self, utterance: str) -> JargonUse | None:
        """The first term the candidate did not explain."""
        return next((use for use in self.find(utterance) if not use.explained), None)

    @staticmethod
    def _explained(lowered: str, term_end: int, lay: str) -> bool:
        lay_words = content_words(lay)
        if lay_words and len(lay_words & content_words(lowered)) * 2 >= len(lay_words):
            return True  # the lay wording itself is in the utterance
        after = lowered[term_end : term_end + 60]  # "an anticoagulant, which means a blood thinner"
        return any(marker in after for marker in EXPLANATION_MARKERS)
