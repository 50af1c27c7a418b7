"""Technical terms used without a lay explanation: the scenario's `lay_terms` plus the project lexicon."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from oet_desktop.core.paths import project_root
from oet_desktop.core.practice.text import content_words

EXPLANATION_MARKERS = (
    "which means", "that means", "this means", "it means", "meaning", "in other words", "that is",
    "that's", "basically", "which is", "or what", "also called", "known as", "a kind of", "a type of",
    "put simply", "simply put", "in plain", "i.e.",
)


def lexicon_path() -> Path:
    """The project's own lexicon of clinical terms and plain alternatives."""
    return project_root() / "resources" / "lexicon" / "medical-terms.yaml"


def load_lexicon(path: Path | None = None) -> dict[str, str]:
    """The lexicon's terms (term → lay wording); empty if the file is absent."""
    path = path or lexicon_path()
    if not path.is_file():
        return {}
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    terms = raw.get("terms", {}) if isinstance(raw, dict) else {}
    return {str(k): str(v) for k, v in terms.items() if isinstance(v, str)}


@dataclass(frozen=True)
class JargonUse:
    """A technical term found in an utterance, with the lay wording that would have explained it. ``heard`` is
    the utterance's own wording of it (a spelling variant, or a slight misrecognition)."""

    term: str
    lay: str
    explained: bool
    heard: str = ""
    fuzzy: bool = False

    def __post_init__(self) -> None:
        if not self.heard:
            object.__setattr__(self, "heard", self.term)


_TOKEN = re.compile(r"[A-Za-z0-9]+(?:'[A-Za-z]+)?")
FUZZY_MIN_LETTERS = 7
"""Only terms this long are matched approximately (short ones give false alarms)."""
FUZZY_RATIO = 0.8
"""Minimum similarity of sound-alike spellings for an approximate match."""


def _inflections(key: str) -> set[str]:
    """A term's key and its plural, and the adjective of a condition ("anaemia" → "anaemic")."""
    forms = {key, key + "s", key + "es"}
    if key.endswith("y"):
        forms.add(key[:-1] + "ies")
    if key.endswith("ia"):
        forms.add(key[:-2] + "ic")
    if key.endswith("is"):
        forms.add(key[:-2] + "es")
    return forms


def spelling_key(text: str) -> str:
    """One spelling for British/American variants, hyphens and spaces: "post-prandial", "postprandial" and
    "post prandial" agree, as do "glycaemic"/"glycemic", "oedema"/"edema" and "-ise"/"-ize"."""
    key = re.sub(r"[^a-z0-9]", "", text.lower())
    key = key.replace("ae", "e").replace("oe", "e")
    return re.sub(r"(i)s(e|ed|es|ing|ation|ations)$", r"\1z\2", key)


def sound_key(text: str) -> str:
    """A rough phonetic spelling, so that a recogniser's sound-alike ("catons" for "ketones") is close."""
    key = spelling_key(text)
    for old, new in (("ph", "f"), ("ch", "k"), ("ck", "k"), ("qu", "kw"), ("x", "ks"), ("th", "t"), ("wh", "w"),
                     ("gh", "g"), ("y", "i"), ("z", "s")):
        key = key.replace(old, new)
    key = re.sub(r"c(?=[eiy])", "s", key).replace("c", "k")
    return re.sub(r"(.)\1+", r"\1", key)


def _skeleton(key: str) -> str:
    return re.sub(r"[aeiou]", "", key)


def _similar(a: str, b: str) -> bool:
    """Whether sound keys ``a`` (heard) and ``b`` (a term) are close: the same consonants in order, or a high
    similarity ratio."""
    if abs(len(a) - len(b)) > max(3, len(b) // 4) or a[:1] != b[:1]:
        return False
    if len(_skeleton(b)) >= 4 and _skeleton(a) == _skeleton(b):
        return True
    matcher = difflib.SequenceMatcher(None, a, b)
    return matcher.real_quick_ratio() >= FUZZY_RATIO and matcher.quick_ratio() >= FUZZY_RATIO and (
        matcher.ratio() >= FUZZY_RATIO)


MEDICAL_WORD = re.compile(
    r"^(?:[a-z]*(?:itis|ectomy|ectomies|otomy|ostomy|oscopy|oscopies|ography|ogram|plasty|opathy|opathic|algia|"
    r"aemia|emia|aemic|emic|osis|oses|otic|oma|omas|ology|ological|lysis|lytic|genic|plegia|plegic|trophy|"
    r"troph(?:ic|y)|ocele|orrhoea|orrhea|orrhage|iasis|uria|aemias|ectasis|penia|paenia|stasis|static|"
    r"pnoea|pnea|cardia|phagia|phasia|phylaxis|sclerosis|mycosis|ase|ines?|olol|pril|sartan|statin|azole|cillin|"
    r"mycin|oxacin|parin|prazole|tidine|xaban|gatran)|(?:hyper|hypo|brady|tachy|dys|poly|endo|peri|intra|"
    r"sub|neuro|cardio|nephr|hepat|gastr|derm|myo|osteo|arthr|haem|hem|pulmon|cerebr|thromb|angi|ophthalm|"
    r"otorhino|laryng|onych|vaso|broncho|pharyng|oesophag|esophag|glyc|lipid|lymph|immun|patho)[a-z]{4,})$")
"""The shape of a clinical word: a medical prefix or suffix ("-itis", "-ectomy", "hyper-", "-statin"). A word
of this shape that is not an everyday English word is queried even when no list names it."""
MEDICAL_MIN_LETTERS = 8


@dataclass(frozen=True)
class _Term:
    term: str
    lay: str
    key: str
    sound: str
    size: int
    """How many words it has."""
    abbreviation: bool


class JargonDetector:
    """Finds technical terms in what the candidate says and whether each was explained in lay words.

    A term is found as written, in another spelling (British or American, hyphen or space) or inflected
    (plural); a term of at least :data:`FUZZY_MIN_LETTERS` letters is also found when the recogniser heard it
    slightly wrong, by a sound-alike spelling, unless every word heard is an ordinary English word (so that
    everyday speech gives no false alarms)."""

    def __init__(self, terms: Mapping[str, str], ordinary_words: Collection[str] = frozenset(),
                 known_words: Collection[str] = frozenset()) -> None:
        # Longest terms first, so "deep vein thrombosis" wins over "thrombosis".
        self._terms = [
            _Term(term, lay, spelling_key(term), sound_key(term), len(_TOKEN.findall(term)),
                  term.isupper() and len(term) <= 6)
            for term, lay in sorted(terms.items(), key=lambda item: -len(item[0]))
        ]
        self._ordinary = ordinary_words
        self._known = known_words
        """Words the interlocutor uses themselves (never queried by shape)."""
        self._by_sound: dict[str, list[_Term]] = {}
        for term in self._terms:
            if not term.abbreviation and len(term.key) >= FUZZY_MIN_LETTERS:
                self._by_sound.setdefault(term.sound[:1], []).append(term)

    @classmethod
    def for_scenario(cls, lay_terms: Mapping[str, str], lexicon: Mapping[str, str], known_text: str = "",
                     ordinary_words: Collection[str] | None = None) -> JargonDetector:
        """The scenario's own terms take precedence over the lexicon's wording. Terms found in ``known_text``
        (what the interlocutor says and knows: brief, facts, cues) are words this person uses themselves, so
        they are not queried ("MRI" for someone booked for an MRI)."""
        terms = {**lexicon, **lay_terms}
        used = {use.term for use in cls(terms).find(known_text, approximate=False)}
        words = load_ordinary_words() if ordinary_words is None else ordinary_words
        own_words = frozenset(w.lower() for w in _TOKEN.findall(known_text))
        return cls({t: lay for t, lay in terms.items() if t not in used}, words, own_words)

    def find(self, utterance: str, approximate: bool = True) -> list[JargonUse]:
        """Every term used, in order of appearance, each marked explained or not: exact matches (longest
        first), then, on the words left, approximate ones."""
        tokens = [(m.group(0), m.start(), m.end()) for m in _TOKEN.finditer(utterance)]
        keys = [spelling_key(t) for t, _, _ in tokens]
        ordinary = [t.lower().split("'")[0] in self._ordinary for t, _, _ in tokens]  # "there's": "there"
        taken = [False] * len(tokens)
        found: list[tuple[int, JargonUse]] = []
        lowered = utterance.lower()

        def claim(term: _Term, start: int, end: int, fuzzy: bool) -> None:
            for index in range(start, end):
                taken[index] = True
            heard = utterance[tokens[start][1] : tokens[end - 1][2]]
            found.append((tokens[start][1], JargonUse(term.term, term.lay, self._explained(
                lowered, tokens[end - 1][2], term.lay), heard, fuzzy)))

        for term in self._terms:
            for start in range(len(tokens)):
                end = self._exact(term, utterance, tokens, keys, ordinary, start, taken)
                if end is not None:
                    claim(term, start, end, False)
        if approximate:
            for start in range(len(tokens)):
                for term, end in self._approximate(tokens, keys, ordinary, start, taken):
                    claim(term, start, end, True)
                    break
            for index, (word, _, _) in enumerate(tokens):
                if not taken[index] and self._looks_medical(word, ordinary[index]):
                    claim(_Term(word.lower(), "", word.lower(), "", 1, False), index, index + 1, True)
        return [use for _, use in sorted(found, key=lambda item: item[0])]

    def _looks_medical(self, word: str, ordinary: bool) -> bool:
        """An unlisted word shaped like a clinical term and not an everyday word (nor one the interlocutor
        uses)."""
        low = word.lower()
        return (not ordinary and len(low) >= MEDICAL_MIN_LETTERS and low.isalpha()
                and low.rstrip("s") not in self._ordinary and low not in self._known
                and MEDICAL_WORD.match(low) is not None)

    def _exact(self, term: _Term, utterance: str, tokens: list[tuple[str, int, int]], keys: list[str],
               ordinary: list[bool], start: int, taken: list[bool]) -> int | None:
        """Where the term, written in any spelling, ends if it starts at token ``start``."""
        if taken[start]:
            return None
        if term.abbreviation:
            word = tokens[start][0]
            return start + 1 if word in (term.term, term.term + "s", term.term + "'s") else None
        if not keys[start] or keys[start][0] != term.key[0]:
            return None
        for size in range(term.size, min(term.size + 2, len(tokens) - start) + 1):
            if any(taken[start : start + size]):
                break
            joined = "".join(keys[start : start + size])
            if len(joined) > len(term.key) + 3:
                break
            if joined not in _inflections(term.key):
                continue
            gaps = [utterance[a[2] : b[1]].strip() for a, b in zip(tokens[start:], tokens[start + 1 : start + size],
                                                                    strict=False)]
            if size > term.size and any(gap != "-" for gap in gaps) and all(ordinary[start : start + size]):
                continue  # "call us" is not "callus"; "post-op" and "post prandial" are one word
            return start + size
        return None

    def _approximate(self, tokens: list[tuple[str, int, int]], keys: list[str], ordinary: list[bool], start: int,
                     taken: list[bool]) -> Iterator[tuple[_Term, int]]:
        """Terms that a window of words starting at ``start`` sounds like (not all of them ordinary words)."""
        for size in range(1, min(4, len(tokens) - start) + 1):
            if any(taken[start : start + size]):
                return
            if all(ordinary[start : start + size]):
                continue
            heard = sound_key("".join(keys[start : start + size]))
            for term in self._by_sound.get(heard[:1], ()):
                if term.size - 1 <= size <= term.size + 1 and _similar(heard, term.sound):
                    yield term, start + size

    def first_unexplained(self, utterance: str) -> JargonUse | None:
        """The first term the candidate did not explain."""
        return next((use for use in self.find(utterance) if not use.explained), None)

    @staticmethod
    def _explained(lowered: str, term_end: int, lay: str) -> bool:
        if lowered[term_end : term_end + 3].lstrip().startswith("("):
            return True  # "an NSAID (an anti-inflammatory painkiller)"
        lay_words = content_words(lay)
        if lay_words and len(lay_words & content_words(lowered)) * 2 >= len(lay_words):
            return True  # the lay wording itself is in the utterance
        after = lowered[term_end : term_end + 60]  # "an anticoagulant, which means a blood thinner"
        return any(marker in after for marker in EXPLANATION_MARKERS)


def ordinary_words_path() -> Path:
    """Everyday English words (never queried as misheard jargon)."""
    return project_root() / "resources" / "lexicon" / "ordinary-words.txt"


@functools.cache
def load_ordinary_words(path: Path | None = None) -> frozenset[str]:
    """The ordinary-words list (one lower-case word a line); empty if the file is absent."""
    path = path or ordinary_words_path()
    if not path.is_file():
        return frozenset()
    return frozenset(line.strip() for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))
