"""Fluency and intelligibility measures from audio timing: silent pauses (from the audio, not the transcript,
because the recogniser drops fillers), filled pauses, speech and articulation rate, mean length of run, and
low-confidence words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import webrtcvad

from oet_desktop.core.assessment.conversation import Utterance
from oet_desktop.core.audio.types import SAMPLE_RATE, Samples
from oet_desktop.core.speech.stt import Word

PAUSE_MIN_S = 0.25
"""A silent pause is at least 250 ms of silence inside a turn (the traditional threshold)."""
FILLED_MIN_S = 0.2
"""Voiced sound of at least 200 ms that no recognised word covers counts as a filled pause ("um", "er")."""
LONG_PAUSE_S = 1.0
"""A silence longer than this inside a turn is a hesitation wherever it falls."""
LOW_CONFIDENCE = 0.5
"""Words the recogniser gave a probability below this are low-confidence (listener-strain evidence)."""
FRAME_S = 0.01
FILLER_WORDS = frozenset({"um", "umm", "uh", "uhh", "er", "erm", "eh", "hmm", "mm", "ah"})
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "my", "your",
    "his", "her", "our", "their", "its", "this", "these", "those", "is", "are", "was", "were", "be", "been", "am",
    "will", "would", "can", "could", "should", "must", "might", "may", "shall", "do", "does", "did", "have", "has",
    "had", "and", "but", "or", "because", "if", "when", "that", "which", "who", "i", "you", "we", "they", "he",
    "she", "it", "it's", "i'm", "you're", "we're", "they're", "i'll", "you'll", "very", "more", "some", "any",
})
CLAUSE_STARTERS = frozenset({
    "and", "but", "so", "because", "or", "which", "who", "that", "if", "when", "while", "then", "although",
    "though", "unless", "until", "after", "before", "since", "as", "where", "whether", "once", "also", "now",
})


VOWELS = frozenset("aæɑɒɐeɛəɚɜɝiɪoɔuʊʌᵻɵɘy")
DIPHTHONGS = frozenset({"eɪ", "aɪ", "ɔɪ", "oʊ", "aʊ", "ɪə", "eə", "ʊə", "əʊ"})


@lru_cache(maxsize=1)
def _phonemizer() -> Any:
    from piper.phonemize_espeak import EspeakPhonemizer  # espeak-ng, bundled with the Piper voice engine

    return EspeakPhonemizer()


@lru_cache(maxsize=20_000)
def syllables(word: str) -> int:
    """Syllables in a word: the vowel nuclei in espeak-ng's pronunciation (a diphthong is one nucleus)."""
    letters = re.sub(r"[^a-z']", "", word.lower())
    if not letters.strip("'"):
        return 1 if any(c.isdigit() for c in word) else 0
    phones = [p for sentence in _phonemizer().phonemize("en-us", letters) for p in sentence
              if p not in "ˈˌː "]
    count, index = 0, 0
    while index < len(phones):
        if phones[index] in VOWELS:
            count += 1
            index += 2 if "".join(phones[index : index + 2]) in DIPHTHONGS else 1
        else:
            index += 1
    return max(1, count)


@dataclass(frozen=True)
class Pause:
    """A silence inside a turn."""

    start: float
    end: float
    mid_clause: bool
    before: str
    """The word said just before the pause (for the evidence quote)."""

    @property
    def seconds(self) -> float:
        """Length of the pause."""
        return self.end - self.start


@dataclass(frozen=True)
class FluencyMeasures:
    """Timing measures over all the candidate's turns."""

    speaking_s: float
    phonation_s: float
    words: int
    syllables: int
    pauses: tuple[Pause, ...]
    filled_pauses: int
    """Voiced stretches with no recognised word (fillers the recogniser dropped) plus fillers it kept."""
    runs: tuple[int, ...]
    """Syllables in each run of speech between silent pauses."""

    @property
    def speech_rate_wpm(self) -> float:
        """Words per minute over the speaking time (pauses included)."""
        return 60 * self.words / self.speaking_s if self.speaking_s else 0.0

    @property
    def articulation_rate_sps(self) -> float:
        """Syllables per second of phonation (pauses left out)."""
        return self.syllables / self.phonation_s if self.phonation_s else 0.0

    @property
    def pauses_per_min(self) -> float:
        """Silent pauses per minute of speaking time."""
        return 60 * len(self.pauses) / self.speaking_s if self.speaking_s else 0.0

    @property
    def mid_clause_pauses(self) -> int:
        """Silent pauses inside a clause (the kind that hurts perceived fluency most)."""
        return sum(p.mid_clause for p in self.pauses)

    @property
    def mid_clause_per_min(self) -> float:
        """Mid-clause pauses per minute of speaking time."""
        return 60 * self.mid_clause_pauses / self.speaking_s if self.speaking_s else 0.0

    @property
    def hesitations(self) -> int:
        """Pauses that signal word-searching: inside a clause, or longer than a second anywhere."""
        return sum(p.mid_clause or p.seconds > LONG_PAUSE_S for p in self.pauses)

    @property
    def hesitations_per_min(self) -> float:
        """Hesitation pauses per minute of speaking time."""
        return 60 * self.hesitations / self.speaking_s if self.speaking_s else 0.0

    @property
    def mean_pause_s(self) -> float | None:
        """Mean silent-pause length (None without pauses)."""
        return float(np.mean([p.seconds for p in self.pauses])) if self.pauses else None

    @property
    def mean_length_of_run(self) -> float:
        """Mean syllables between silent pauses."""
        return float(np.mean(self.runs)) if self.runs else 0.0

    @property
    def fillers_per_100_words(self) -> float:
        """Filled pauses per 100 words."""
        return 100 * self.filled_pauses / self.words if self.words else 0.0


def voiced_frames(audio: Samples, start: float, end: float, mode: int = 3) -> np.ndarray:
    """One boolean per 10 ms frame of ``audio[start:end]``: True where webrtcvad hears speech (its strictest
    mode, which keeps pauses apart from background noise best)."""
    vad = webrtcvad.Vad(mode)
    first, last = int(start * SAMPLE_RATE), min(audio.size, int(end * SAMPLE_RATE))
    pcm = (np.clip(audio[first:last], -1, 1) * 32767).astype("<i2")
    step = int(FRAME_S * SAMPLE_RATE)
    count = pcm.size // step
    if not count:
        return np.zeros(0, dtype=bool)
    return np.array([vad.is_speech(pcm[i * step : (i + 1) * step].tobytes(), SAMPLE_RATE) for i in range(count)],
                    dtype=bool)


def _runs_of(flags: np.ndarray, value: bool) -> list[tuple[int, int]]:
    """(start, end) frame indices of each run of ``value``."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, flag in enumerate(flags):
        if flag == value and start is None:
            start = index
        elif flag != value and start is not None:
            runs.append((start, index))
            start = None
    if start is not None:
        runs.append((start, len(flags)))
    return runs


def _smooth(voiced: np.ndarray) -> np.ndarray:
    """Fill voiced gaps under 60 ms (stop closures) and drop voiced blips under 40 ms."""
    out = voiced.copy()
    for start, end in _runs_of(out, False):
        if end - start < 6 and start > 0 and end < len(out):
            out[start:end] = True
    for start, end in _runs_of(out, True):
        if end - start < 4:
            out[start:end] = False
    return out


def _word_at(words: tuple[Word, ...], time: float) -> int | None:
    """Index of the word being said when the pause began: the last one to start before it (the recogniser
    often stretches a word's end into the silence that follows)."""
    before = [i for i, w in enumerate(words) if w.start < time - 0.05]
    return before[-1] if before else None


def _bare(word: Word) -> str:
    return re.sub(r"[^a-z']", "", word.text.lower())


def _is_mid_clause(words: tuple[Word, ...], before: int | None) -> bool:
    """A pause inside a clause: after a function word or a filler, before a repeated word, where the recogniser
    marked a trailing-off ("..."), or between two words with no clause boundary. The recogniser's commas and
    full stops follow the speaker's pauses, so they count as boundaries only before a clause starter or a
    capitalised new sentence that does not repeat the start of the previous one."""
    if before is None or before + 1 >= len(words):
        return False
    previous, following = words[before], words[before + 1]
    prev_bare, next_bare = _bare(previous), _bare(following)
    if prev_bare in FILLER_WORDS or previous.text.strip().endswith(("...", "\u2026")) or next_bare == prev_bare:
        return True
    if previous.text.strip().endswith((",", ".", "?", "!", ";", ":")):  # "…how to use it. [pause] Next…"
        return _fragment_before(words, before) or _fragment_after(words, before + 1)
    return prev_bare in FUNCTION_WORDS or next_bare not in CLAUSE_STARTERS


def _fragment_before(words: tuple[Word, ...], last: int) -> bool:
    """The words since the previous punctuation start with a clause starter and are too few to be a clause
    ("…better, but the tendon. [pause] Gets weaker")."""
    start = last
    while start > 0 and not words[start - 1].text.strip().endswith((",", ".", "?", "!", ";", ":")):
        start -= 1
    piece = [_bare(w) for w in words[start : last + 1]]
    return len(piece) <= 3 and piece[0] in CLAUSE_STARTERS | FUNCTION_WORDS and len(piece) >= 2


def _fragment_after(words: tuple[Word, ...], first: int) -> bool:
    """The recogniser's "sentence" after the pause is one or two words ("…no hills and no. [pause] Sprints.")."""
    end = first
    while end < len(words) and not words[end].text.strip().endswith((".", "?", "!")):
        end += 1
    return end - first + 1 <= 2 and _bare(words[first]) not in ("yes", "no", "okay", "ok", "right", "good",
                                                                  "thanks", "bye", "goodbye", "great", "sure")


def measure_fluency(utterances: list[Utterance], audio: Samples) -> FluencyMeasures:
    """Measure every candidate utterance against its audio."""
    speaking = phonation = 0.0
    total_words = total_syllables = filled = 0
    pauses: list[Pause] = []
    runs: list[int] = []
    for utterance in utterances:
        voiced = _smooth(voiced_frames(audio, utterance.start, utterance.end))
        spans = _runs_of(voiced, True)
        if not spans:
            continue
        origin = utterance.start
        first, last = spans[0][0], spans[-1][1]
        speaking += (last - first) * FRAME_S
        words = utterance.words
        spoken = [w for w in words if re.sub(r"[^a-z]", "", w.text.lower()) not in FILLER_WORDS]
        filled += len(words) - len(spoken)
        total_words += len(spoken)
        counts = [syllables(w.text) for w in spoken]
        total_syllables += sum(counts)
        turn_pauses: list[Pause] = []
        for start, end in _runs_of(voiced[first:last], False):
            seconds = (end - start) * FRAME_S
            if seconds < PAUSE_MIN_S:
                continue
            at, until = origin + (first + start) * FRAME_S, origin + (first + end) * FRAME_S
            before = _word_at(words, at)
            turn_pauses.append(Pause(round(at, 3), round(until, 3), _is_mid_clause(words, before),
                                     words[before].text.strip() if before is not None else ""))
        pauses.extend(turn_pauses)
        phonation += (last - first) * FRAME_S - sum(p.seconds for p in turn_pauses)
        filled += _unrecognised_voicing(spans, origin, words)
        runs.extend(_run_lengths(spoken, counts, turn_pauses))
    return FluencyMeasures(round(speaking, 3), round(phonation, 3), total_words, total_syllables, tuple(pauses),
                           filled, tuple(runs))


def _unrecognised_voicing(spans: list[tuple[int, int]], origin: float, words: tuple[Word, ...]) -> int:
    """Voiced stretches of at least 200 ms that no recognised word overlaps (dropped fillers)."""
    count = 0
    for start, end in spans:
        if (end - start) * FRAME_S < FILLED_MIN_S:
            continue
        a, b = origin + start * FRAME_S, origin + end * FRAME_S
        covered = sum(max(0.0, min(b, w.end) - max(a, w.start)) for w in words)
        if covered < 0.05:
            count += 1
    return count


def _run_lengths(words: list[Word], counts: list[int], pauses: list[Pause]) -> list[int]:
    cuts = [p.start for p in pauses]
    runs = [0] * (len(cuts) + 1)
    for word, count in zip(words, counts, strict=True):
        middle = (word.start + word.end) / 2
        runs[sum(middle > cut for cut in cuts)] += count
    return [r for r in runs if r > 0]


@dataclass(frozen=True)
class ClarityMeasures:
    """How sure the recogniser was of the candidate's words."""

    words: int
    low_confidence: tuple[Word, ...]
    mean_probability: float
    worst_turn_share: float
    """The highest share of low-confidence words in any turn of five words or more."""

    @property
    def low_confidence_share(self) -> float:
        """Share of words below the confidence threshold."""
        return len(self.low_confidence) / self.words if self.words else 0.0


def measure_clarity(utterances: list[Utterance]) -> ClarityMeasures | None:
    """Low-confidence words over the candidate's timed words; None when no word has a probability."""
    words = [w for u in utterances for w in u.words
             if re.sub(r"[^a-z]", "", w.text.lower()) not in FILLER_WORDS and w.text.strip()]
    if not words:
        return None
    shares = []
    for utterance in utterances:
        turn = [w for w in utterance.words if w.text.strip() and _bare(w) not in FILLER_WORDS]
        if len(turn) >= 5:
            shares.append(sum(w.probability < LOW_CONFIDENCE for w in turn) / len(turn))
    low = tuple(w for w in words if w.probability < LOW_CONFIDENCE)
    return ClarityMeasures(len(words), low, float(np.mean([w.probability for w in words])),
                           max(shares, default=0.0))
