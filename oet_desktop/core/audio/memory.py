"""File-based and in-memory audio input/output: for headless practice, benchmarks and tests."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from oet_desktop.core.audio.files import read_audio, resample, write_wav
from oet_desktop.core.audio.types import SAMPLE_RATE, VOICE_SAMPLE_RATE, FrameCallback, Samples, level_dbfs


class ArrayInput:
    """Delivers prepared 16 kHz audio in blocks, as a microphone would (optionally at real-time pace)."""

    def __init__(self, samples: Samples, block_ms: int = 30, realtime: bool = False) -> None:
        self.sample_rate = SAMPLE_RATE
        self._samples = np.asarray(samples, dtype=np.float32)
        self._block = int(SAMPLE_RATE * block_ms / 1000)
        self._realtime = realtime
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._level = -100.0
        self.finished = threading.Event()

    @classmethod
    def from_file(cls, path: Path, block_ms: int = 30, realtime: bool = False) -> ArrayInput:
        """An input that plays an audio file (any format :func:`read_audio` accepts)."""
        return cls(read_audio(path), block_ms, realtime)

    def start(self, on_frames: FrameCallback) -> None:
        """Deliver every block to ``on_frames`` on a background thread."""
        self._stop.clear()
        self.finished.clear()

        def run() -> None:
            started = time.monotonic()
            for index, offset in enumerate(range(0, self._samples.size, self._block)):
                if self._stop.is_set():
                    break
                if self._realtime:
                    delay = started + index * self._block / SAMPLE_RATE - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                block = self._samples[offset : offset + self._block]
                self._level = level_dbfs(block)
                on_frames(block)
            self.finished.set()

        self._thread = threading.Thread(target=run, name="array-input", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop delivering blocks."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    @property
    def level_dbfs(self) -> float:
        """Level of the latest block delivered."""
        return self._level


class RecordingOutput:
    """Collects played audio instead of sounding it (a fake speaker, or a file writer via :meth:`save`)."""

    def __init__(self, sample_rate: int = VOICE_SAMPLE_RATE) -> None:
        self.sample_rate = sample_rate
        self._chunks: list[Samples] = []
        self._played = 0

    def play(self, samples: Samples, sample_rate: int) -> None:
        """Record the audio (resampled to this output's rate); counts as played at once."""
        audio = resample(np.asarray(samples, dtype=np.float32), sample_rate, self.sample_rate)
        self._chunks.append(audio)
        self._played += audio.size

    def wait(self, timeout: float | None = None) -> bool:
        """Nothing is ever pending."""
        return True

    def stop(self) -> None:
        """Nothing to stop."""

    @property
    def played_seconds(self) -> float:
        """Seconds recorded so far."""
        return self._played / self.sample_rate

    @property
    def audio(self) -> Samples:
        """Everything played, concatenated."""
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.float32)

    def save(self, path: Path) -> None:
        """Write everything played to a WAV file."""
        write_wav(path, self.audio, self.sample_rate)


class NoMicrophone:
    """The input of a typed role-play: no microphone is opened and no audio arrives."""

    sample_rate = SAMPLE_RATE
    level_dbfs = -100.0

    def start(self, on_frames: FrameCallback) -> None:
        """Nothing to open."""

    def stop(self) -> None:
        """Nothing to close."""
