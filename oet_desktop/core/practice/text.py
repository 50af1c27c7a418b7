"""Small text helpers shared by the interlocutor's parts: content words, numbers, question detection."""

from __future__ import annotations

import re

STOPWORDS = frozenset({
    "a", "an", "the", "of", "to", "in", "on", "for", "and", "or", "but", "your", "you", "it", "is", "are", "be",
    "with", "that", "this", "at", "by", "from", "as", "i", "me", "my", "we", "our", "do", "does", "did", "have",
    "has", "had", "was", "were", "am", "can", "could", "would", "will", "so", "if", "about", "any", "there",
    "what", "how", "who", "when", "where", "why", "which", "just", "bit", "little", "tell", "okay", "ok", "right",
    "well", "now", "then", "some", "all", "not", "no", "yes", "like", "get", "got", "know", "think", "mr",
    "mrs", "ms", "dr", "much", "many", "very", "really", "also", "too", "into", "up", "out", "them", "they",
    "he", "she", "his", "her", "him", "its", "let", "lets", "let's", "i'm", "you're", "it's", "that's", "don't",
})

NUMBER_WORDS = frozenset({
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety", "hundred",
    "half", "once", "twice",
})

_QUESTION_OPENERS = re.compile(
    r"^(who|what|when|where|why|how|which|whose|do|does|did|is|are|was|were|have|has|had|can|could|would|"
    r"will|shall|should|may|might|any|anything|anyone|tell me|could you|can you|would you|i'd like to know|"
    r"i would like to know|i was wondering|i'm wondering|i am wondering|i wonder|i'd love to know|"
    r"may i ask|let me ask|i'd like to ask|i wanted to ask|take me through|talk me through|walk me through)\b"
)


def words(text: str) -> list[str]:
    """Lower-case words (apostrophes kept)."""
    return re.findall(r"[a-z0-9']+", text.lower())


def content_words(text: str) -> set[str]:
    """Words that carry meaning (no stopwords, no very short words)."""
    return {w for w in words(text) if w not in STOPWORDS and len(w) > 2}


def numbers(text: str) -> set[str]:
    """Digits and number words mentioned in the text."""
    return {w for w in words(text) if w.isdigit() or w in NUMBER_WORDS}


def clauses(text: str) -> list[str]:
    """The text cut at sentence ends and at ' and '/' but ' between questions."""
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [p.strip() for p in parts if p.strip()]


def is_question(sentence: str) -> bool:
    """A question or a request for information ("Tell me about…", "I'd like to know…")."""
    stripped = sentence.strip()
    if stripped.endswith("?"):
        return True
    lowered = re.sub(r"^(so|and|okay|ok|right|now|well|um|uh|great|thanks|thank you)[,.]?\s+", "", stripped.lower())
    return bool(_QUESTION_OPENERS.match(lowered))
