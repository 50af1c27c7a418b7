"""The held-out evaluation set (tests/fixtures/heldout): eight role-plays, their interlocutor test turns and 24
calibration scripts, written apart from the director and the scoring rules and frozen before any rule was
changed against them. :data:`FROZEN_SHA256` pins their content; rules are tuned on the old set only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import yaml

from oet_desktop.core.content.library import ScenarioLibrary

HELDOUT = Path(__file__).parent / "fixtures" / "heldout"
FROZEN_SHA256 = "a62a52a18be935c76ed71e2e5629fbc9cea25897a73801d94f23367e94fca1c5"
"""SHA-256 over every held-out file (relative path and bytes, in path order), taken when the set was frozen."""


def content_hash(folder: Path = HELDOUT) -> str:
    """The SHA-256 of the set as it is now."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def library() -> ScenarioLibrary:
    """The eight held-out role-plays."""
    return ScenarioLibrary.load([HELDOUT / "scenarios"])


@dataclass(frozen=True)
class Probe:
    """A fact question aimed at one fact."""

    scenario: str
    fact: str
    question: str


@dataclass(frozen=True)
class NonFactTurn:
    """A candidate turn that asks for no fact, with the reaction expected."""

    scenario: str
    kind: str
    expect: str
    text: str


@dataclass(frozen=True)
class JargonSentence:
    """A sentence with one unexplained technical term."""

    scenario: str
    term: str
    text: str


@dataclass(frozen=True)
class InterlocutorSet:
    """Every interlocutor test turn of one set."""

    probes: list[Probe]
    non_facts: list[NonFactTurn]
    jargon: list[JargonSentence]


def interlocutor_set(folder: Path = HELDOUT / "interlocutor") -> InterlocutorSet:
    """The held-out interlocutor turns, one file per role-play."""
    probes, non_facts, jargon = [], [], []
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        scenario = raw["scenario"]
        probes += [Probe(scenario, p["fact"], p["question"]) for p in raw["fact_probes"]]
        non_facts += [NonFactTurn(scenario, t["kind"], t["expect"], t["text"]) for t in raw["non_fact_turns"]]
        jargon += [JargonSentence(scenario, j["term"], j["text"]) for j in raw["jargon_sentences"]]
    return InterlocutorSet(probes, non_facts, jargon)
