"""HTML for the text the window shows (escaped; laid out with the user's font and scaling)."""

from __future__ import annotations

from html import escape

from oet_desktop.core.content.scenario import Scenario


def card_html(scenario: Scenario) -> str:
    """The candidate card, as the candidate sees it."""
    card = scenario.candidate
    tasks = "".join(f"<li>{escape(task.text)}</li>" for task in card.tasks)
    background = "".join(f"<p>{escape(part)}</p>" for part in card.background.split("\n") if part.strip())
    stars = "★" * (scenario.difficulty or 0)
    return (f"<h2>{escape(scenario.title)}</h2>"
            f"<p><b>{escape(scenario.profession.label)}</b> {stars}<br><b>Setting:</b> {escape(scenario.setting)}</p>"
            f"<p><b>{escape(card.role)}</b></p>{background}<h3>Task</h3><ul>{tasks}</ul>")
