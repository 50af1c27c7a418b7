"""The calibration set: scripted role-plays written at intended levels, rendered to a real conversation by
synthesising the candidate's voice (Piper, with pauses and pace as scripted, and degraded audio where the
script asks for unclear speech) and transcribing it with the real recogniser, as the live engine does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml
from scipy.signal import butter, sosfilt

from oet_desktop.core.assessment.conversation import CANDIDATE, PATIENT, Conversation, Utterance
from oet_desktop.core.assessment.criteria import Criterion
from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.speech.stt import Transcriber, Word
from oet_desktop.core.tts.voice import PiperVoiceEngine

CALIBRATION_DIR = Path(__file__).parent / "fixtures" / "calibration"
PAUSE = re.compile(r"\[pause ([0-9.]+)\]")
PATIENT_WORDS_PER_S = 2.6
GAP_S = 0.6


@dataclass(frozen=True)
class CalibrationCase:
    """One scripted role-play and the levels it was written at."""

    id: str
    scenario: str
    profile: str
    pace: float
    clarity: str
    intended: dict[Criterion, int]
    caught_on: tuple[Criterion, ...]
    turns: tuple[tuple[str, str], ...]


def load_cases(folder: Path = CALIBRATION_DIR) -> list[CalibrationCase]:
    """Every case in the folder, by file name."""
    cases = []
    for path in sorted(folder.glob("*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        cases.append(CalibrationCase(
            raw["id"], raw["scenario"], raw["profile"], float(raw["delivery"]["pace"]), raw["delivery"]["clarity"],
            {Criterion(k): int(v) for k, v in raw["intended"].items()},
            tuple(Criterion(c) for c in raw.get("caught_on") or ()),
            tuple((t["candidate"], t["patient"]) for t in raw["turns"]),
        ))
    return cases


def degrade(audio: np.ndarray, clarity: str, seed: int) -> np.ndarray:
    """Muffle and add noise: ``slight`` (low-pass 1.8 kHz, SNR 20 dB) or ``poor`` (1.2 kHz, SNR 14 dB)."""
    if clarity == "clear":
        return audio
    cutoff, snr_db = {"slight": (1800.0, 20.0), "poor": (1200.0, 14.0)}[clarity]
    sos = butter(6, cutoff, btype="low", fs=SAMPLE_RATE, output="sos")
    muffled = sosfilt(sos, audio).astype(np.float32)
    power = float(np.mean(muffled[np.abs(muffled) > 1e-3] ** 2)) if np.any(np.abs(muffled) > 1e-3) else 1e-6
    noise = np.random.default_rng(seed).normal(0, np.sqrt(power / 10 ** (snr_db / 10)), audio.size)
    return (muffled + noise).astype(np.float32)


def speak(voice: PiperVoiceEngine, text: str) -> np.ndarray:
    """The line at 16 kHz, with ``[pause N]`` markers as silence."""
    pieces: list[np.ndarray] = []
    for index, part in enumerate(PAUSE.split(text)):
        if index % 2:
            pieces.append(np.zeros(int(float(part) * SAMPLE_RATE), dtype=np.float32))
        elif part.strip():
            audio, rate = voice.speak_all(part.strip())
            pieces.append(resample(audio, rate, SAMPLE_RATE))
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def render(case: CalibrationCase, scenario: Scenario, voice: PiperVoiceEngine,
           transcriber: Transcriber, vocabulary: str = "") -> Conversation:
    """The case as a conversation: candidate audio synthesised, degraded and transcribed with word timing (with
    the card's ``vocabulary`` as hot words, as in a live role-play); patient lines timed at a conversational
    rate."""
    utterances: list[Utterance] = []
    track: list[tuple[float, np.ndarray]] = []
    now = 0.5
    for index, (candidate, patient) in enumerate(case.turns):
        audio = degrade(speak(voice, candidate), case.clarity, seed=index)
        padded = np.concatenate([np.zeros(3200, np.float32), audio, np.zeros(3200, np.float32)])
        heard = transcriber.transcribe(padded, keep_fillers=True, word_timestamps=True, vocabulary=vocabulary)
        start = now
        words = tuple(Word(w.text, round(start - 0.2 + w.start, 3), round(start - 0.2 + w.end, 3), w.probability)
                      for w in heard.words)
        track.append((start, audio))
        end = start + audio.size / SAMPLE_RATE
        utterances.append(Utterance(CANDIDATE, heard.text.strip(), round(start, 3), round(end, 3), index, words))
        reply_start = end + GAP_S
        reply_end = reply_start + len(patient.split()) / PATIENT_WORDS_PER_S
        utterances.append(Utterance(PATIENT, patient, round(reply_start, 3), round(reply_end, 3), index))
        now = reply_end + GAP_S
    full = np.zeros(int((now + 1) * SAMPLE_RATE), dtype=np.float32)
    for start, audio in track:
        offset = int(start * SAMPLE_RATE)
        full[offset : offset + audio.size] += audio
    return Conversation(case.id, scenario, utterances, full, "2026-11-01T09:00:00+00:00")
