"""Role cards as plain text (CLI, logs, PDF excerpts)."""

from __future__ import annotations

from oet_desktop.core.content.scenario import Scenario


def format_cards(scenario: Scenario, with_interlocutor: bool = False) -> str:
    """The candidate card as text (and, on request, the interlocutor's)."""
    card = scenario.candidate
    lines = [f"{scenario.title}  ({scenario.profession.label})", f"SETTING: {scenario.setting}",
             f"{card.role.upper()}", "", card.background, "", "TASK:"]
    lines += [f"  • {task.text}" for task in card.tasks]
    if with_interlocutor:
        person = scenario.interlocutor
        lines += ["", f"INTERLOCUTOR: {person.role}, {person.name}" + (f", {person.age}" if person.age else ""),
                  person.brief, f"Stance: {person.stance or '-'}"]
        lines += [f"  fact {f.id}: {f.say}" for f in person.facts]
        lines += [f"  cue {c.id}: {c.say}" for c in person.cues]
        lines += [f"  resolution: {person.resolution.say}"]
    return "\n".join(lines)
