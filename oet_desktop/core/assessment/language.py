"""Language measures from the transcript: lexical diversity (MTLD), grammatical range, repairs (repetitions and
self-corrections), register, and readability."""

from __future__ import annotations

import re
from dataclasses import dataclass

from oet_desktop.core.assessment.discourse import sentences
from oet_desktop.core.assessment.fluency import FILLER_WORDS, syllables

MTLD_THRESHOLD = 0.72


def tokens(text: str) -> list[str]:
    """Lower-case word tokens without fillers (apostrophes kept; digits dropped, as MTLD expects)."""
    found = re.findall(r"[a-z]+(?:'[a-z]+)?", text.lower().replace("\u2019", "'"))
    return [t for t in found if t not in FILLER_WORDS]


def _mtld_one_way(words: list[str], threshold: float) -> float:
    terms: set[str] = set()
    counted = 0
    factors = 0.0
    ttr = 1.0
    for word in words:
        counted += 1
        terms.add(word)
        ttr = len(terms) / counted
        if ttr <= threshold:
            counted, terms, factors = 0, set(), factors + 1
    if counted:
        factors += (1 - ttr) / (1 - threshold)
    if factors == 0:
        whole = len(set(words)) / len(words)
        factors = 1.0 if whole == 1 else (1 - whole) / (1 - threshold)
    return len(words) / factors


def mtld(words: list[str], threshold: float = MTLD_THRESHOLD) -> float | None:
    """Measure of Textual Lexical Diversity (McCarthy & Jarvis 2010): mean length of word runs that keep the
    type-token ratio above ``threshold``, forward and backward averaged. None for fewer than 10 words."""
    if len(words) < 10:
        return None
    return (_mtld_one_way(words, threshold) + _mtld_one_way(words[::-1], threshold)) / 2


SUBORDINATORS = re.compile(
    r"\b(because|although|though|unless|until|while|whereas|if|when|whenever|since|so that|in case|as long as|"
    r"as soon as|before|after|once|which|who|whom|whose|where|whether)\b")
MODALS = re.compile(r"\b(can|could|may|might|must|should|would|shall|ought to|need to|have to|has to)\b")
FEATURES: dict[str, re.Pattern[str]] = {
    "modal verbs": MODALS,
    "conditionals": re.compile(r"\b(if|unless|in case|as long as)\b"),
    "relative clauses": re.compile(r"\b\w+ (which|who|whose|where) \w+"),
    "passive voice": re.compile(r"\b(is|are|was|were|be|been|being|get|gets|got)( \w+ly)? \w+ed\b"),
    "perfect aspect": re.compile(r"\b(have|has|had|i've|you've|we've|they've)( \w+ly)? (been|\w+ed|done|seen|taken|"
                                 r"given|told|had|gone|made|found|known)\b"),
    "future forms": re.compile(r"\b(will|'ll|going to)\b"),
    "comparatives": re.compile(r"\b(\w+er than|more \w+ than|less \w+ than|as \w+ as)\b"),
    "purpose clauses": re.compile(r"\b(so that|in order to|to help|to make sure|to stop|to keep|to prevent)\b"),
    "gerund subjects": re.compile(r"(^|[.,] )(\w+ing) \w+ (is|can|will|helps|means)\b"),
}
_CLAUSE_START = r"(?:^|, |; |\band |\bbut |\bso |\bbecause |\bif |\bwhen |\bthat )"
ERRORS: dict[str, re.Pattern[str]] = {
    "modal + to": re.compile(r"\b(must|can|should|could|will|would|might|may) to \w+"),
    # Subject-verb slips only where the pronoun starts a clause ("does he have" and "the tablet I gave you has"
    # are correct).
    "third person without -s": re.compile(_CLAUSE_START + r"(he|she) (don't|have|do|go|take|need|want|feel|come)\b"),
    "plural subject + is/was": re.compile(_CLAUSE_START + r"(they|we) (is|was|has|does)\b"),
    "double comparative": re.compile(r"\bmore (better|worse|easier|bigger|smaller)\b"),
    "missing auxiliary": re.compile(r"^(you|they|we) (feeling|going|taking|having|doing)\b"),
    "'much' with countable": re.compile(r"\bmuch (tablets|pills|times|days|people|things|questions)\b"),
}
SELF_CORRECTION = re.compile(
    r"(\b(i mean|sorry,? i mean|or rather|let me rephrase|what i meant|no,? sorry|sorry,? no)\b)|(\w+ ?-- ?\w+)|"
    r"(\b\w+-\s)")


@dataclass(frozen=True)
class LanguageMeasures:
    """Text measures over the candidate's words."""

    words: int
    sentences: int
    mtld: float | None
    mean_sentence_words: float
    complex_share: float
    """Share of sentences with a subordinate or relative clause."""
    clauses_per_sentence: float
    features: tuple[str, ...]
    """Grammatical structures used at least once (see FEATURES)."""
    errors: tuple[tuple[str, str], ...]
    """(kind, sentence) for each likely grammar slip."""
    repetitions: tuple[str, ...]
    """Immediately repeated words or pairs ("the the", "I think I think")."""
    self_corrections: tuple[str, ...]
    slang: tuple[str, ...]
    flesch_reading_ease: float | None

    @property
    def repairs_per_100_words(self) -> float:
        """Repetitions and self-corrections per 100 words."""
        return 100 * (len(self.repetitions) + len(self.self_corrections)) / self.words if self.words else 0.0

    @property
    def errors_per_100_words(self) -> float:
        """Likely grammar slips per 100 words."""
        return 100 * len(self.errors) / self.words if self.words else 0.0


_REPEAT = re.compile(r"\b(\w+(?: \w+)?)(?:,| --|-)? \1\b")
_ALLOWED_REPEATS = frozenset({"very", "that", "had", "bye", "no", "so", "really", "okay", "well", "now", "much"})


def repetitions(text: str) -> list[str]:
    """Words or word pairs said twice in a row within a sentence (disfluent repetition, not emphasis like
    "very very"); a trailing-off ("the... the") counts."""
    low = re.sub(r"\b(um+|uh+|er+m?)\b[,.]?\s*", "", text.lower().replace("\u2019", "'"))
    low = re.sub(r"\s+", " ", low.replace("...", " ").replace("\u2026", " "))
    found = []
    for sentence in re.split(r"(?<=[.!?])\s+", low):
        found += [m.group(0) for m in _REPEAT.finditer(sentence) if m.group(1) not in _ALLOWED_REPEATS]
    return found


def measure_language(texts: list[str], slang_found: list[str]) -> LanguageMeasures:
    """Measure the candidate's utterances (their recognised text)."""
    all_text = " ".join(texts)
    words = tokens(all_text)
    said = [s for text in texts for s in sentences(text)]
    lowered = [s.lower().replace("\u2019", "'") for s in said]
    counted = [len(tokens(s)) for s in said]
    complex_sentences = sum(bool(SUBORDINATORS.search(s)) for s in lowered)
    clauses = sum(1 + len(SUBORDINATORS.findall(s)) + len(re.findall(r"\b(and|but|so|or) (i|you|we|it|they|he|"
                                                                         r"she|this|that)\b", s)) for s in lowered)
    features = tuple(name for name, pattern in FEATURES.items() if any(pattern.search(s) for s in lowered))
    errors = tuple((kind, s) for s in said for kind, p in ERRORS.items() if p.search(s.lower()))
    corrections = tuple(m.group(0) for text in texts for m in SELF_CORRECTION.finditer(text.lower()))
    return LanguageMeasures(
        words=len(words), sentences=len(said), mtld=mtld(words),
        mean_sentence_words=sum(counted) / len(said) if said else 0.0,
        complex_share=complex_sentences / len(said) if said else 0.0,
        clauses_per_sentence=clauses / len(said) if said else 0.0, features=features,
        errors=errors, repetitions=tuple(r for text in texts for r in repetitions(text)),
        self_corrections=corrections, slang=tuple(slang_found),
        flesch_reading_ease=_flesch(words, len(said)),
    )


def _flesch(words: list[str], sentence_count: int) -> float | None:
    """Flesch reading ease of the candidate's speech (higher is plainer; 60–80 is plain English)."""
    if not words or not sentence_count:
        return None
    syllable_count = sum(syllables(w) for w in words)
    return 206.835 - 1.015 * len(words) / sentence_count - 84.6 * syllable_count / len(words)
