"""Checks a language model's reply before the interlocutor says it. Each rule has a name, so the session
record says why a reply was replaced by the scripted line."""

from __future__ import annotations

import re
from dataclasses import dataclass

from oet_desktop.core.practice.text import content_words, numbers

MAX_SENTENCES = 3
MAX_WORDS = 60

_AI_TALK = re.compile(
    r"\b(as an ai|an ai\b|a language model|language model|ai assistant|virtual assistant|chatbot|"
    r"i'?m an assistant|i am an assistant|openai|chatgpt|llm|role-?play|as a character)\b", re.IGNORECASE)
_ADVICE = re.compile(
    r"\b(you should|you must|you need to|you ought to|i recommend|i'd recommend|i would recommend|i suggest|"
    r"i'd suggest|i would suggest|make sure (you|to)|it'?s important (to|that you)|i advise|my advice|"
    r"try to|don'?t forget to|remember to take)\b", re.IGNORECASE)
_CLINICIAN = re.compile(
    r"\b(as your (nurse|doctor|pharmacist|dentist|physio|therapist|vet|clinician)|i'?m your (nurse|doctor|"
    r"pharmacist|dentist|therapist|vet)|i will prescribe|i'll prescribe|let me examine|i'll examine|your "
    r"diagnosis is|i'?ll refer you|my patient)\b", re.IGNORECASE)
_SPEAKER_LABEL = re.compile(r"^\s*\(?([A-Z][\w .']{0,30}|nurse|doctor|patient|user|assistant)\)?\s*:\s*",
                            re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-z]{2,})\b")


@dataclass(frozen=True)
class Rejection:
    """Why a reply was refused: the rule's name and the offending text."""

    rule: str
    detail: str


class ReplyValidator:
    """The rules: in character (no AI talk, not the clinician, no speaker labels), no advice, 1-3 short
    sentences, no numbers or names that are not on the card or in the conversation, and a fact's answer keeps
    the fact."""

    def __init__(self, card_text: str, own_name: str) -> None:
        self._card_text = card_text
        self._own_labels = {own_name.lower(), *(part.lower() for part in own_name.split())}

    def strip_label(self, text: str) -> str:
        """Remove a leading "Tom:"-style label naming the interlocutor (any other label is a rejection)."""
        match = _SPEAKER_LABEL.match(text)
        if match and match.group(1).lower().strip() in self._own_labels:
            return text[match.end():]
        return text

    def check_sentence(self, sentence: str, conversation: str) -> Rejection | None:
        """Problems with one sentence of a reply, in the context of the card and conversation so far."""
        label = _SPEAKER_LABEL.match(sentence)
        if label and label.group(1).lower().strip() not in self._own_labels:
            return Rejection("speaker-label", label.group(0).strip())
        for rule, pattern in (("ai-talk", _AI_TALK), ("advice", _ADVICE), ("clinician", _CLINICIAN)):
            found = pattern.search(sentence)
            if found:
                return Rejection(rule, found.group(0))
        known = f"{self._card_text} {conversation}"
        invented = numbers(sentence) - numbers(known) - {"one"}
        if invented:
            return Rejection("new-fact", f"numbers not on the card: {', '.join(sorted(invented))}")
        known_words = {w.lower() for w in re.findall(r"[A-Za-z]+", known)}
        names = [n for n in _CAPITALISED.findall(sentence) if n.lower() not in known_words]
        if names:
            return Rejection("new-fact", f"names not on the card: {', '.join(names)}")
        return None

    @staticmethod
    def check_repeat(sentence: str, seen: set[str]) -> Rejection | None:
        """A sentence said already in this reply or the interlocutor's recent lines (``seen`` is updated)."""
        key = " ".join(sorted(content_words(sentence)))
        if key and key in seen:
            return Rejection("repetition", sentence)
        seen.add(key)
        return None

    def check_reply(self, sentences: list[str], conversation: str, must_carry: tuple[str, ...]) -> Rejection | None:
        """Problems with a whole reply (sentence count, length, and that a fact's answer is kept)."""
        if not sentences or not "".join(sentences).strip():
            return Rejection("empty", "no text")
        if len(sentences) > MAX_SENTENCES:
            return Rejection("too-long", f"{len(sentences)} sentences")
        if sum(len(s.split()) for s in sentences) > MAX_WORDS:
            return Rejection("too-long", f"more than {MAX_WORDS} words")
        seen: set[str] = set()
        for sentence in sentences:
            problem = self.check_sentence(sentence, conversation) or self.check_repeat(sentence, seen)
            if problem:
                return problem
        reply_words = content_words(" ".join(sentences))
        for line in must_carry:
            needed = content_words(line)
            if needed and len(needed & reply_words) * 2 < len(needed):
                return Rejection("fact-dropped", f"keeps too little of: {line}")
        return None
