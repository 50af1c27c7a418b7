"""Checks a language model's reply before the interlocutor says it. Each rule has a name, so the session
record says why a reply was replaced by the scripted line.

Rules over the role-play as a whole (the model is small and copies its own context):

- ``repetition``: a sentence said before in the role-play (by the interlocutor, however long ago, or earlier in
  this reply) once case and punctuation are set aside; or one whose content words are mostly (60 % or more, at
  least two) found in one earlier interlocutor line.
- ``person-swap``: the patient speaks as "I/my", the clinician is "you". Rejected: "your X" where the card's
  own lines (or the move's line) say "my X", "your" + a relative (the patient knows nothing of the
  clinician's family), and "you <verb>" where the move's or the card's line says "I <verb>".
- the move's intent: a fact keeps at least half the content words of its line (``fact-dropped``); so do a cue
  and the resolution (``intent-dropped``); the resolution also agrees and refuses nothing (``no-agreement``);
  a clarification names the term; a free move (acknowledge, reassured, confirm, not sure) brings in no card
  fact: two or more content words (not contractions) from the card's lines that are in neither the move's
  line nor anything the candidate said is a ``fact-leak``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from oet_desktop.core.practice.director import Move, MoveKind
from oet_desktop.core.practice.text import content_words, numbers, words

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
_MY = re.compile(r"\bmy\s+([a-z][a-z'-]*)", re.IGNORECASE)
_YOUR = re.compile(r"\byour\s+([a-z][a-z'-]*)", re.IGNORECASE)
_I_VERB = re.compile(r"\bI\s+([a-z][a-z'-]*)", re.IGNORECASE)
_YOU_VERB = re.compile(r"\byou\s+([a-z][a-z'-]*)", re.IGNORECASE)
_KIN = frozenset({
    "uncle", "aunt", "auntie", "wife", "husband", "partner", "son", "sons", "daughter", "daughters", "kids",
    "children", "child", "mother", "mum", "mom", "father", "dad", "brother", "sister", "grandson",
    "granddaughter", "grandchildren", "grandmother", "grandfather", "nan", "gran", "cousin", "nephew", "niece",
    "fiance", "fiancee", "boyfriend", "girlfriend", "family",
})
_AGREEMENT = re.compile(
    r"\b(ok|okay|all right|alright|fine|yes|yeah|agree\w*|i'?ll|i will|give it a (go|try)|go ahead|let'?s|"
    r"happy to|willing|sure|deal)\b", re.IGNORECASE)
_REFUSAL = re.compile(
    r"\b(no way|i won'?t|i will not|i refuse|i'?m not (going|doing|having|starting|taking|ready)|i am not "
    r"(going|doing|having|starting|taking|ready)|i don'?t want|can'?t i|not (yet|now))\b", re.IGNORECASE)
REPEAT_SHARE = 0.6
"""A sentence is a repeat when this share (or more) of its content words, at least two, is in one earlier line."""
CARRY_SHARE = 0.5
"""A fact, a cue or the resolution keeps at least this share of its line's content words."""
LEAK_WORDS = 2
"""A free move with this many (or more) card-specific content words is telling a fact."""
_FREE = frozenset({MoveKind.ACKNOWLEDGE, MoveKind.REASSURED, MoveKind.CONFIRM, MoveKind.UNKNOWN})
_CARRIED = frozenset({MoveKind.CUE, MoveKind.RESOLUTION})


def normalised(sentence: str) -> str:
    """The sentence's words in lower case, without punctuation (apostrophes dropped too)."""
    return " ".join(w.replace("'", "") for w in words(sentence))


@dataclass(frozen=True)
class ReplyContext:
    """The role-play so far, as a reply is checked against it (built from the history by the realiser)."""

    conversation: str = ""
    """Everything said so far (numbers and names in it are not new)."""
    said_before: tuple[str, ...] = ()
    """The interlocutor's earlier lines, oldest first."""
    candidate_said: str = ""
    """Everything the candidate said so far."""


@dataclass(frozen=True)
class Rejection:
    """Why a reply was refused: the rule's name and the offending text."""

    rule: str
    detail: str


class ReplyValidator:
    """The rules: in character (no AI talk, not the clinician, no speaker labels, "my" not "your"), no advice,
    1-3 short sentences, no numbers or names that are not on the card or in the conversation, nothing said
    before, and the move's intent kept (see the module's notes). ``own_lines`` are the interlocutor's lines on
    the card (facts, cues, resolution), in the first person."""

    def __init__(self, card_text: str, own_name: str, own_lines: Sequence[str] = ()) -> None:
        self._card_text = card_text
        self._own_labels = {own_name.lower(), *(part.lower() for part in own_name.split())}
        self._own_lines = tuple(own_lines)
        self._own_things = _after(_MY, self._own_lines)
        self._own_doings = _after(_I_VERB, self._own_lines)
        self._card_fact_words = content_words(" ".join(self._own_lines))

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
        swapped = self._swapped_possessive(sentence, self._own_things)
        if swapped:
            return swapped
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
    def check_repeat(sentence: str, earlier: Sequence[str]) -> Rejection | None:
        """A sentence said before (the same words once case and punctuation are set aside), or whose content
        words are mostly (:data:`REPEAT_SHARE`, at least two) in one of the ``earlier`` lines."""
        key = normalised(sentence)
        if not key:
            return None
        mine = content_words(sentence)
        for line in earlier:
            if any(normalised(part) == key for part in _split(line)):
                return Rejection("repetition", sentence)
            shared = mine & content_words(line)
            if len(shared) >= 2 and len(shared) >= REPEAT_SHARE * len(mine):
                return Rejection("repetition", f"{sentence} (repeats: {line})")
        return None

    @staticmethod
    def _swapped_possessive(sentence: str, own_things: frozenset[str]) -> Rejection | None:
        for match in _YOUR.finditer(sentence):
            thing = match.group(1).lower()
            if thing in own_things or thing in _KIN:
                return Rejection("person-swap", f"{match.group(0)!r} where the patient's own is meant")
        return None

    def check_in_context(self, sentence: str, move: Move, context: ReplyContext,
                         earlier_in_reply: Sequence[str] = ()) -> Rejection | None:
        """Problems with one sentence given the role-play so far and the move it phrases: said before, "you"
        for the patient's "I"/"my" in the move's line, a card fact in a free move."""
        problem = self.check_repeat(sentence, (*context.said_before, *earlier_in_reply))
        if problem:
            return problem
        move_lines = (move.say, *move.must_carry)
        problem = self._swapped_possessive(sentence, _after(_MY, move_lines))
        if problem:
            return problem
        doings = self._own_doings | _after(_I_VERB, move_lines)
        for match in _YOU_VERB.finditer(sentence):
            if match.group(1).lower() in doings:
                return Rejection("person-swap", f"{match.group(0)!r} where the patient's 'I' is meant")
        if move.kind in _FREE:
            allowed = content_words(f"{move.say} {move.intent} {context.candidate_said}")
            leaked = {w for w in (content_words(sentence) & self._card_fact_words) - allowed if "'" not in w}
            if len(leaked) >= LEAK_WORDS:  # (contractions such as "I'll" or "can't" are no fact)
                return Rejection("fact-leak", f"card facts in a free move ({move.kind.value}): "
                                              f"{', '.join(sorted(leaked))}")
        return None

    @staticmethod
    def needs_whole_reply(move: Move) -> bool:
        """Whether the reply is checked whole before any of it is said (it must carry a line or a term)."""
        return bool(move.must_carry) or move.kind in _CARRIED or move.kind is MoveKind.CLARIFY

    def check_intent(self, sentences: Sequence[str], move: Move) -> Rejection | None:
        """Whether a whole reply does what the move is for: a cue and the resolution keep their line's
        content, the resolution agrees and refuses nothing, a clarification names the term."""
        reply = " ".join(sentences)
        if move.kind in _CARRIED:
            problem = _dropped(reply, (move.say,), "intent-dropped")
            if problem:
                return problem
        if move.kind is MoveKind.RESOLUTION and (not _AGREEMENT.search(reply) or _REFUSAL.search(reply)):
            refused = _REFUSAL.search(reply)
            return Rejection("no-agreement", f"refuses: {refused.group(0)}" if refused else "does not agree")
        if move.kind is MoveKind.CLARIFY and move.ref and move.ref.lower() not in reply.lower():
            return Rejection("intent-dropped", f"does not name the term: {move.ref}")
        return None

    def check_reply(self, sentences: list[str], conversation: str, must_carry: tuple[str, ...],
                    move: Move | None = None, context: ReplyContext | None = None) -> Rejection | None:
        """Problems with a whole reply (sentence count, length, every sentence's rules, that a fact's answer
        is kept, and with a ``move``, the role-play rules and the move's intent)."""
        if not sentences or not "".join(sentences).strip():
            return Rejection("empty", "no text")
        if len(sentences) > MAX_SENTENCES:
            return Rejection("too-long", f"{len(sentences)} sentences")
        if sum(len(s.split()) for s in sentences) > MAX_WORDS:
            return Rejection("too-long", f"more than {MAX_WORDS} words")
        context = context or ReplyContext(conversation)
        for index, sentence in enumerate(sentences):
            problem = self.check_sentence(sentence, conversation)
            if problem is None and move is not None:
                problem = self.check_in_context(sentence, move, context, sentences[:index])
            elif problem is None:
                problem = self.check_repeat(sentence, sentences[:index])
            if problem:
                return problem
        problem = _dropped(" ".join(sentences), must_carry, "fact-dropped")
        if problem is None and move is not None:
            problem = self.check_intent(sentences, move)
        return problem


def _split(line: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+", line.strip()) if part]


def _after(pattern: re.Pattern[str], lines: Iterable[str]) -> frozenset[str]:
    """The words that follow the pattern's word ("my", "I") in the lines (content words only for "I")."""
    found = {m.group(1).lower() for line in lines for m in pattern.finditer(line)}
    return frozenset(found if pattern is _MY else {w for w in found if content_words(w)})


def _dropped(reply: str, lines: Sequence[str], rule: str) -> Rejection | None:
    """A line whose content words the reply keeps too few of (under :data:`CARRY_SHARE`)."""
    reply_words = content_words(reply)
    for line in lines:
        needed = content_words(line)
        if needed and len(needed & reply_words) < CARRY_SHARE * len(needed):
            return Rejection(rule, f"keeps too little of: {line}")
    return None
