"""The audio interfaces the rest of the app depends on.

All audio inside the app is float32 mono in [-1, 1]; captured audio is 16 kHz (:data:`SAMPLE_RATE`).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

import numpy as np
import numpy.typing as npt

SAMPLE_RATE = 16_000
"""The rate of all captured audio (what VAD and speech recognition expect)."""
VOICE_SAMPLE_RATE = 22_050
"""The rate of the patient's voice as saved (the default Piper voice's own rate)."""


class Track(StrEnum):
    """The two sides of a role-play's recording."""

    CANDIDATE = "candidate"
    PATIENT = "patient"

    @property
    def sample_rate(self) -> int:
        """The rate this side is saved at."""
        return SAMPLE_RATE if self is Track.CANDIDATE else VOICE_SAMPLE_RATE

Samples = npt.NDArray[np.float32]
FrameCallback = Callable[[Samples], None]


class AudioInput(Protocol):
    """A source of 16 kHz mono audio delivered in blocks (a microphone, a file, a fake)."""

    sample_rate: int

    def start(self, on_frames: FrameCallback) -> None:
        """Begin delivering blocks to ``on_frames`` (from the audio thread)."""

    def stop(self) -> None:
        """Stop delivering blocks; safe to call twice."""

    @property
    def level_dbfs(self) -> float:
        """Loudness of the most recent block, in dB below full scale (for a level meter)."""


class AudioOutput(Protocol):
    """A sink that plays audio and can be stopped at once (a speaker, a file, a fake)."""

    def play(self, samples: Samples, sample_rate: int) -> None:
        """Queue audio for playback and return without waiting."""

    def wait(self, timeout: float | None = None) -> bool:
        """Block until queued audio has played; False on timeout."""

    def stop(self) -> None:
        """Stop playback immediately, dropping whatever is queued."""

    @property
    def played_seconds(self) -> float:
        """Seconds of audio actually played since the last :meth:`play` after idle (for barge-in)."""


def level_dbfs(samples: Samples) -> float:
    """RMS level in dBFS; -100 for silence."""
    if samples.size == 0:
        return -100.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return max(-100.0, 20.0 * float(np.log10(rms))) if rms > 0 else -100.0
