"""The words a role-play's candidate is likely to say that a small recogniser gets wrong: the card's
technical terms (``lay_terms``), lexicon terms that appear on the candidate's card, and the names on it.
Given to Whisper as hot words so that "vasoconstriction" is not heard as "vassa constriction"."""

from __future__ import annotations

import re
from collections.abc import Mapping

from oet_desktop.core.content.scenario import Scenario

MAX_TERMS = 40
"""Whisper reads at most about 220 tokens of hot words; 40 terms stay well inside that."""


def _mentions(text: str, term: str) -> bool:
    flags = 0 if term.isupper() else re.IGNORECASE
    return re.search(rf"(?<![\w-]){re.escape(term)}(?![\w-])", text, flags) is not None


def card_vocabulary(scenario: Scenario, lexicon: Mapping[str, str]) -> str:
    """Hot words for one role-play: its ``lay_terms``, lexicon terms named on either card, and people's names
    (comma-separated, at most :data:`MAX_TERMS`)."""
    card = scenario.candidate
    person = scenario.interlocutor
    card_text = " ".join([scenario.setting, card.background, *(t.text for t in card.tasks),
                          *(p for t in card.tasks for p in t.probes), person.brief])
    terms: list[str] = list(scenario.lay_terms)
    terms += [term for term in lexicon if term not in terms and _mentions(card_text, term)]
    names = [w for w in person.name.split() if w[:1].isupper() and w not in ("Mr", "Mrs", "Ms", "Miss", "Dr")]
    unique: dict[str, str] = {}
    for term in [*names, *terms]:
        unique.setdefault(term.lower(), term)
    return ", ".join(list(unique.values())[:MAX_TERMS])
