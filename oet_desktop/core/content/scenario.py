"""The scenario (role-play) model: both cards of an OET-style role-play (see docs/scenario-format.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Profession(StrEnum):
    """The 12 OET professions, as written in scenario files."""

    DENTISTRY = "dentistry"
    DIETETICS = "dietetics"
    MEDICINE = "medicine"
    NURSING = "nursing"
    OCCUPATIONAL_THERAPY = "occupational_therapy"
    OPTOMETRY = "optometry"
    PHARMACY = "pharmacy"
    PHYSIOTHERAPY = "physiotherapy"
    PODIATRY = "podiatry"
    RADIOGRAPHY = "radiography"
    SPEECH_PATHOLOGY = "speech_pathology"
    VETERINARY_SCIENCE = "veterinary_science"

    @property
    def label(self) -> str:
        """Human-readable name ("Occupational Therapy")."""
        return self.value.replace("_", " ").title()


CLOSING_LINE = "Thank you. That is the end of the role-play."
"""The fixed line the interlocutor ends every role-play with."""


@dataclass(frozen=True)
class Task:
    """One bullet of the candidate card."""

    id: str
    text: str
    probes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fact:
    """Something the interlocutor knows and tells only when asked about one of its topics."""

    id: str
    about: tuple[str, ...]
    say: str


class CueKind(StrEnum):
    """When a cue fires: at the start, after a task is covered, after N seconds, or after N candidate turns."""

    START = "start"
    AFTER_TASK = "after_task"
    AFTER_SECONDS = "after_seconds"
    AFTER_TURNS = "after_turns"


@dataclass(frozen=True)
class CueTrigger:
    """When a cue fires (``task`` for AFTER_TASK, ``amount`` for the seconds or turns)."""

    kind: CueKind
    task: str | None = None
    amount: float = 0.0


@dataclass(frozen=True)
class Cue:
    """A scripted move of the interlocutor, fired once, in order, when its trigger holds."""

    id: str
    when: CueTrigger
    intent: str
    say: str


@dataclass(frozen=True)
class Move:
    """An intent for the language model with its scripted fallback line."""

    intent: str
    say: str


@dataclass(frozen=True)
class CandidateCard:
    """What the candidate sees."""

    role: str
    background: str
    tasks: tuple[Task, ...]


@dataclass(frozen=True)
class InterlocutorCard:
    """What the AI interlocutor plays (hidden from the candidate until the feedback)."""

    role: str
    name: str
    brief: str
    facts: tuple[Fact, ...]
    cues: tuple[Cue, ...]
    resolution: Move
    age: int | None = None
    sex: str | None = None
    stance: str | None = None


@dataclass(frozen=True)
class Scenario:
    """One role-play."""

    id: str
    profession: Profession
    title: str
    setting: str
    candidate: CandidateCard
    interlocutor: InterlocutorCard
    difficulty: int | None = None
    lay_terms: dict[str, str] = field(default_factory=dict)
    source: str = ""
    """Where it was loaded from (for messages)."""

    @property
    def interlocutor_words(self) -> str:
        """Everything the interlocutor knows and says: where they are, brief, facts, cues, resolution."""
        card = self.interlocutor
        return " ".join([self.setting, card.brief, *(f.say for f in card.facts), *(c.say for c in card.cues),
                         card.resolution.say])
