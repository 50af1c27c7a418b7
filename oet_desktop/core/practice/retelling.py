"""The patient's own short version of what the candidate explained (the answer to a teach-back request):
the candidate's most informative recent sentences, turned round to the patient's point of view ("you" → "I",
"your" → "my", "Take…" → "I take…")."""

from __future__ import annotations

import re

from oet_desktop.core.practice.text import content_words

MAX_WORDS = 32
"""A retelling is short: one or two sentences, as a patient would say it back."""

_SWAP = {
    "you're": "I'm", "you are": "I am", "you've": "I've", "you have": "I have", "you'll": "I'll",
    "you will": "I will", "you'd": "I'd", "your": "my", "yours": "mine", "yourself": "myself",
    "i'm": "you're", "i am": "you are", "i've": "you've", "i'll": "you'll", "i'd": "you'd", "my": "your",
    "we'll": "you'll", "we will": "you will", "we're": "you're", "we've": "you've", "we": "you", "our": "your",
    "us": "you", "me": "you", "myself": "yourself",
}
_SUBJECT_BEFORE = {"if", "when", "and", "so", "that", "because", "until", "unless", "once", "before", "after",
                   "then", "or", "but", "as", "while", "where", "whether"}
_IMPERATIVE = re.compile(
    r"^(take|call|ring|phone|keep|use|try|avoid|give|shake|come|stop|start|put|wash|clean|check|make sure|"
    r"remember|bring|wear|apply|rest|drink|eat|walk|book|let|sit|lie|hold|press|breathe|store|change|watch|"
    r"look|go|see|tell|ask|leave|do|get|continue|carry on|gradually|slowly|just)\b", re.IGNORECASE)
_DONT = re.compile(r"^(please )?(don't|do not|never)\s+", re.IGNORECASE)
_TOKEN = re.compile(r"\b(you're|you are|you've|you have|you'll|you will|you'd|yourself|yours|your|you|i'm|i am|"
                    r"i've|i'll|i'd|i|myself|my|me|we'll|we will|we're|we've|we|our|us)\b", re.IGNORECASE)
_LEAD_IN = re.compile(r"^((so|and|okay|ok|right|now|well|first|firstly|secondly|next|then|also|finally|lastly|"
                      r"basically)[,:]?\s+)+", re.IGNORECASE)


def _swap_person(sentence: str) -> str:
    def replace(match: re.Match[str]) -> str:
        word = match.group(0)
        low = word.lower()
        if low == "you":
            before = sentence[: match.start()].split()
            after = sentence[match.end():].split()
            previous = before[-1].lower().strip(",;:") if before else ""
            following = after[0].lower().strip(",.;:") if after else ""
            subject = (not previous or previous in _SUBJECT_BEFORE or following in (
                "can", "should", "need", "must", "might", "may", "could", "would", "will", "do", "don't", "feel",
                "notice", "get", "take", "use", "have", "keep", "see", "start", "go", "give", "put", "are"))
            return "I" if subject else "me"
        if low == "i":
            return "you"
        swapped = _SWAP.get(low, word)
        return swapped if low in ("i'm", "i've", "i'll", "i'd") or not word[:1].isupper() else (
            swapped[:1].upper() + swapped[1:])

    return _TOKEN.sub(replace, sentence)


_CONDITION = re.compile(r"^(if|when|whenever|once|before|after|as soon as|until|while)\b", re.IGNORECASE)


def _first_person(sentence: str) -> str:
    text = _LEAD_IN.sub("", sentence.strip()).rstrip(".!?…")
    if _DONT.match(text):
        text = "I shouldn't " + _DONT.sub("", text)
        return _swap_person_tail(text, len("I shouldn't "))
    if _IMPERATIVE.match(text):
        text = "I " + text[:1].lower() + text[1:]
        return _swap_person_tail(text, 2)
    swapped = _swap_person(text)
    if _CONDITION.match(swapped):  # "If you feel shaky, eat something sweet" → "…, I eat something sweet"
        for comma in re.finditer(r",\s+", swapped):
            rest = swapped[comma.end():]
            if _DONT.match(rest):
                return swapped[: comma.end()] + "I shouldn't " + _DONT.sub("", rest)
            if _IMPERATIVE.match(rest):
                return swapped[: comma.end()] + "I " + rest
    return swapped


def _swap_person_tail(text: str, keep: int) -> str:
    return text[:keep] + _swap_person(text[keep:])


def retell(explained: list[str], request: str = "") -> str:
    """The patient's version of the given candidate sentences (most recent last), choosing those that share
    most words with the teach-back ``request`` ("what will you do if you feel shaky?"); a modest "I think I've
    got it" line when nothing informative was explained."""
    informative = [s for s in explained if len(content_words(s)) >= 4]
    if not informative:
        return "I think I've got it, but could you go over the main points once more?"
    asked = content_words(request)
    recent = informative[-6:]
    overlap = [len(content_words(sentence) & asked) for sentence in recent]
    ranked = sorted((i for i in range(len(recent)) if overlap[i]), key=lambda i: (-overlap[i], -i))
    chosen = sorted(ranked[:2]) or list(range(len(recent)))[-2:]
    parts = [_first_person(recent[i]) for i in chosen]
    parts = [p if p.startswith(("I ", "I'")) else p[:1].lower() + p[1:] for p in parts]
    words = ", and ".join(parts).split()
    text = " ".join(words[:MAX_WORDS]).rstrip(",;:")
    return f"So, if I've got it right, {text}" + ("…" if len(words) > MAX_WORDS else ".")
