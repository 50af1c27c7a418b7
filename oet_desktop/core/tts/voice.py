"""Speech synthesis with Piper, sentence by sentence (the first sentence can play while the rest renders)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from oet_desktop.core.audio.types import Samples
from oet_desktop.core.errors import EngineError


@dataclass(frozen=True)
class SpokenSentence:
    """One synthesised sentence."""

    text: str
    samples: Samples
    sample_rate: int
    synthesis_seconds: float

    @property
    def audio_seconds(self) -> float:
        """Duration of the audio."""
        return self.samples.size / self.sample_rate


class Voice(Protocol):
    """Turns text into audio, one sentence at a time."""

    @property
    def sample_rate(self) -> int:
        """Rate of the audio produced."""

    def speak(self, text: str) -> Iterator[SpokenSentence]:
        """Synthesise ``text``, yielding each sentence as soon as it is ready."""


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    """Split text at sentence ends (., ! or ? followed by a capital); keeps the punctuation."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


@dataclass
class PiperVoiceEngine:
    """A Piper ONNX voice. ``deterministic`` sets both noise scales to 0 so the same text gives the same audio."""

    model_path: Path
    deterministic: bool = False
    length_scale: float | None = None
    use_cuda: bool = False
    _voice: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def load(self) -> None:
        """Load the voice (idempotent)."""
        with self._lock:
            if self._voice is not None:
                return
            from piper import PiperVoice

            try:
                self._voice = PiperVoice.load(self.model_path, use_cuda=self.use_cuda)
            except Exception as exc:
                raise EngineError(
                    f"The voice {self.model_path.name} could not be loaded ({exc}).",
                    "Run `oet-desktop doctor` to check the models, and reinstall the voice it names.",
                ) from exc

    def unload(self) -> None:
        """Free the voice's memory."""
        with self._lock:
            self._voice = None

    @property
    def is_loaded(self) -> bool:
        """Whether the voice is in memory."""
        return self._voice is not None

    @property
    def sample_rate(self) -> int:
        """The voice's native rate (22,050 Hz for medium voices)."""
        self.load()
        return int(self._voice.config.sample_rate)

    def _config(self) -> Any:
        from piper import SynthesisConfig

        if self.deterministic:
            return SynthesisConfig(noise_scale=0.0, noise_w_scale=0.0, length_scale=self.length_scale)
        return SynthesisConfig(length_scale=self.length_scale)

    def speak(self, text: str) -> Iterator[SpokenSentence]:
        """Synthesise sentence by sentence; each is yielded as soon as it is rendered."""
        self.load()
        config = self._config()
        for sentence in split_sentences(text):
            began = time.perf_counter()
            chunks = [np.asarray(c.audio_float_array, dtype=np.float32)
                      for c in self._voice.synthesize(sentence, syn_config=config)]
            if not chunks:
                continue
            audio = np.concatenate(chunks)
            yield SpokenSentence(sentence, audio, self.sample_rate, time.perf_counter() - began)

    def speak_all(self, text: str) -> tuple[Samples, int]:
        """The whole text as one clip, with 0.25 s between sentences."""
        rate = self.sample_rate
        gap = np.zeros(int(0.25 * rate), dtype=np.float32)
        parts: list[Samples] = []
        for sentence in self.speak(text):
            parts.extend([sentence.samples, gap])
        return (np.concatenate(parts[:-1]) if parts else np.zeros(0, dtype=np.float32)), rate
