"""The interlocutor's short lines that are not on the card: acknowledgements, reactions to reassurance,
confirmations of a summary, "not sure", clarification requests and references back to something already
said. Each pool is flavoured by the card's stance, and a line is not used twice while others are left."""

from __future__ import annotations

from enum import StrEnum


class Reaction(StrEnum):
    """The kinds of unscripted line."""

    ACKNOWLEDGE = "acknowledge"
    UNDERSTOOD = "understood"
    """After an explanation that ended with a check ("Does that make sense?")."""
    SAFETY_NET = "safety_net"
    RELIEF = "relief"
    CONFIRM = "confirm"
    UNKNOWN = "unknown"
    CLARIFY = "clarify"
    ALREADY_SAID = "already_said"


_MOOD = {
    "guarded": ("angry", "suspicious", "sceptical", "defensive", "impatient", "dismissive", "overconfident",
                "flippant", "denial", "reluctant", "misinformed"),
    "low": ("grieving", "tearful", "guilty", "ashamed", "embarrassed", "exhausted", "overwhelmed", "sad"),
}

_LINES: dict[Reaction, dict[str, tuple[str, ...]]] = {
    Reaction.ACKNOWLEDGE: {
        "": ("Okay.", "Right, I see.", "Mm, okay.", "All right.", "Okay, that makes sense.", "I see."),
        "guarded": ("Hmm. Okay.", "Right.", "If you say so.", "Fine, go on.", "Hmm, I see."),
        "low": ("Okay.", "Right… I see.", "Mm.", "All right.", "Okay, I'm following."),
    },
    Reaction.UNDERSTOOD: {
        "": ("Yes, I think so.", "Yes, that makes sense.", "Yeah, I follow.", "I think I've got that."),
        "guarded": ("I suppose so.", "Yes, I follow.", "More or less, yes."),
        "low": ("Yes… I think so.", "I think so, yes.", "Yes, I follow."),
    },
    Reaction.SAFETY_NET: {
        "": ("Okay, I'll keep an eye out for that.", "Right, I'll watch for that.", "Okay, good to know who to call.",
             "All right, I'll remember that."),
        "guarded": ("Fine, I'll watch out for it.", "Okay. Hopefully it won't come to that.", "Right, noted."),
        "low": ("Okay… I'll watch out for that.", "Right, I'll try to remember that.", "Okay, thank you."),
    },
    Reaction.RELIEF: {
        "": ("Oh, that's a relief.", "Okay, that makes me feel a bit better.", "Thank you, that helps.",
             "That's good to hear."),
        "guarded": ("Well, I hope you're right.", "Okay… that's something, I suppose.", "Hmm. That's a bit better.",
                    "All right, if you're sure."),
        "low": ("Thank you. That does help a bit.", "Oh… that's a relief, honestly.", "Okay. That's good to hear.",
                "Thank you for saying that."),
    },
    Reaction.CONFIRM: {
        "": ("Yes, that's right.", "Yes, that's about it.", "Yes, exactly.", "That's it, yes."),
        "guarded": ("Yes, that's what I said.", "That's about right.", "Yes. That's it."),
        "low": ("Yes… that's right.", "Yes, that's it.", "That's about it, yes."),
    },
    Reaction.UNKNOWN: {
        "": ("I'm not sure, to be honest.", "I don't really know, sorry.", "Hmm, I couldn't tell you."),
        "guarded": ("No idea.", "I couldn't tell you.", "I don't know, do I?"),
        "low": ("I'm not sure… sorry.", "I don't really know.", "I couldn't say, sorry."),
    },
    Reaction.CLARIFY: {
        "": ("Sorry, what does {term} mean?", "I'm sorry, I don't know what {term} is.",
             "{Term}? What's that, in plain English?"),
        "guarded": ("{Term}? What does that mean?", "Can you say that in plain English? What's {term}?",
                    "What's {term} when it's at home?"),
        "low": ("Sorry… what's {term}?", "I'm sorry, I don't know what {term} means.",
                "{Term}? I'm not sure what that is."),
    },
    Reaction.ALREADY_SAID: {
        "": ("Like I said, {gist}.", "As I mentioned, {gist}.", "I did say, {gist}."),
        "guarded": ("I've told you: {gist}.", "Like I said, {gist}.", "As I said, {gist}."),
        "low": ("Like I said, {gist}.", "As I mentioned… {gist}.", "I said before, {gist}."),
    },
}


def mood(stance: str | None) -> str:
    """The stance's family: "guarded", "low" or "" (worried, anxious and the rest)."""
    text = (stance or "").lower()
    for family, words in _MOOD.items():
        if any(word in text for word in words):
            return family
    return ""


class ReactionLines:
    """Picks lines for one role-play: the stance's own pool, never a line already used while others remain."""

    def __init__(self, stance: str | None) -> None:
        self._mood = mood(stance)
        self._used: set[str] = set()

    def pick(self, reaction: Reaction, **fill: str) -> str:
        """A line of this kind, with ``{term}``/``{Term}``/``{gist}`` filled in."""
        pool = _LINES[reaction].get(self._mood) or _LINES[reaction][""]
        templates = [t for t in pool if t not in self._used] or list(pool)
        template = templates[0]
        self._used.add(template)
        return template.format(**fill) if fill else template

    def fixed_lines(self) -> list[str]:
        """This stance's lines without blanks, for synthesising them in advance."""
        return [line for pools in _LINES.values() for line in (pools.get(self._mood) or pools[""]) if "{" not in line]
