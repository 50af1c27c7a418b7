"""The nine OET Speaking criteria and the indicators each score rests on (our own wording)."""

from __future__ import annotations

from enum import StrEnum


class Criterion(StrEnum):
    """One of the nine criteria; linguistic ones are scored 0–6, clinical ones 0–3."""

    INTELLIGIBILITY = "intelligibility"
    FLUENCY = "fluency"
    APPROPRIATENESS = "appropriateness"
    GRAMMAR_EXPRESSION = "grammar_expression"
    RELATIONSHIP = "relationship_building"
    PERSPECTIVE = "patient_perspective"
    STRUCTURE = "providing_structure"
    GATHERING = "information_gathering"
    GIVING = "information_giving"

    @property
    def label(self) -> str:
        """The criterion's name as candidates know it."""
        return _LABELS[self]

    @property
    def linguistic(self) -> bool:
        """True for the four language criteria (0–6)."""
        return self in LINGUISTIC

    @property
    def maximum(self) -> int:
        """Top of the scale: 6 or 3."""
        return 6 if self.linguistic else 3

    @property
    def b_level(self) -> int:
        """The score commonly taken as grade-B level (unofficial rule of thumb: 5/6 and 2/3)."""
        return 5 if self.linguistic else 2


_LABELS = {
    Criterion.INTELLIGIBILITY: "Intelligibility",
    Criterion.FLUENCY: "Fluency",
    Criterion.APPROPRIATENESS: "Appropriateness of Language",
    Criterion.GRAMMAR_EXPRESSION: "Resources of Grammar and Expression",
    Criterion.RELATIONSHIP: "A. Relationship Building",
    Criterion.PERSPECTIVE: "B. Understanding and Incorporating the Patient's Perspective",
    Criterion.STRUCTURE: "C. Providing Structure",
    Criterion.GATHERING: "D. Information Gathering",
    Criterion.GIVING: "E. Information Giving",
}

LINGUISTIC = (Criterion.INTELLIGIBILITY, Criterion.FLUENCY, Criterion.APPROPRIATENESS, Criterion.GRAMMAR_EXPRESSION)
CLINICAL = (Criterion.RELATIONSHIP, Criterion.PERSPECTIVE, Criterion.STRUCTURE, Criterion.GATHERING,
            Criterion.GIVING)
ALL_CRITERIA = LINGUISTIC + CLINICAL

INDICATORS: dict[str, str] = {
    # Linguistic criteria: indicators of our own, each resting on one measure.
    "I1": "Words came through clearly (few words the recogniser was unsure of)",
    "I2": "Clarity held across the role-play, not only in places",
    "F1": "Speaking rate in the comfortable range for a patient",
    "F2": "Few pauses in the middle of a clause",
    "F3": "Pauses kept short; speech flows in runs of several words",
    "F4": "Fillers, repetitions and restarts within the normal range",
    "L1": "Technical terms explained in everyday words",
    "L2": "A courteous, patient-friendly register",
    "L3": "Tone adapted to the patient's feelings",
    "G1": "A varied vocabulary (lexical diversity)",
    "G2": "Complex sentences as well as simple ones",
    "G3": "A range of structures (modals, conditionals, relative clauses, passives and more)",
    "G4": "Accurate grammar: few slips such as \"must to\" or \"he don't\"",
    # Clinical communication (A–E), paraphrased from the published indicator list.
    "A1": "Opened appropriately: greeting, introduction, purpose",
    "A2": "Attentive and respectful: acknowledged what the patient said",
    "A3": "Non-judgemental: no blaming or dismissive wording",
    "A4": "Showed empathy for the patient's feelings and situation",
    "B1": "Asked about the patient's ideas, concerns and expectations",
    "B2": "Picked up the patient's cues (a worry was acknowledged straight after)",
    "B3": "Related explanations to what the patient had said",
    "C1": "Covered the tasks in a purposeful, logical order",
    "C2": "Signposted changes of topic",
    "C3": "Organised explanations (chunking, summarising)",
    "D1": "Let the patient tell their story; few interruptions",
    "D2": "Open questions first, then closed ones",
    "D3": "Avoided compound and leading questions",
    "D4": "Clarified vague or unclear statements",
    "D5": "Summarised to invite correction or more information",
    "E1": "Found out what the patient already knew first",
    "E2": "Gave information in chunks and checked in between",
    "E3": "Invited the patient's reactions and feelings",
    "E4": "Checked understanding by teach-back, not just \"do you understand?\"",
    "E5": "Asked what else the patient needed to know",
}

CRITERION_INDICATORS: dict[Criterion, tuple[str, ...]] = {
    Criterion.INTELLIGIBILITY: ("I1", "I2"),
    Criterion.FLUENCY: ("F1", "F2", "F3", "F4"),
    Criterion.APPROPRIATENESS: ("L1", "L2", "L3"),
    Criterion.GRAMMAR_EXPRESSION: ("G1", "G2", "G3", "G4"),
    Criterion.RELATIONSHIP: ("A1", "A2", "A3", "A4"),
    Criterion.PERSPECTIVE: ("B1", "B2", "B3"),
    Criterion.STRUCTURE: ("C1", "C2", "C3"),
    Criterion.GATHERING: ("D1", "D2", "D3", "D4", "D5"),
    Criterion.GIVING: ("E1", "E2", "E3", "E4", "E5"),
}
