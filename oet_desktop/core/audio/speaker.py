"""Speaker playback that returns at once and stops at once (for barge-in)."""

from __future__ import annotations

import threading
import time
from types import ModuleType
from typing import Any

import numpy as np

from oet_desktop.core.audio.devices import choose_device, load_sounddevice
from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.types import Samples
from oet_desktop.core.errors import AudioDeviceError


class SpeakerOutput:
    """Plays queued audio through one output stream; :meth:`stop` silences it within one block."""

    def __init__(self, device: int | str | None = None, block_ms: int = 20, sd: ModuleType | None = None) -> None:
        self._sd = sd or load_sounddevice()
        self.device = choose_device("output", device, self._sd)
        self.rate = int(self.device.default_sample_rate) or 48_000
        self._block = max(64, int(self.rate * block_ms / 1000))
        self._queue: list[Samples] = []
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._played = 0
        self._stream: Any = None

    def _ensure_stream(self) -> None:
        if self._stream is not None:
            return
        try:
            self._stream = self._sd.OutputStream(
                device=self.device.index,
                samplerate=self.rate,
                channels=1,
                dtype="float32",
                blocksize=self._block,
                callback=self._callback,
            )
            self._stream.start()
        except Exception as exc:
            self._stream = None
            raise AudioDeviceError(
                f"The speaker {self.device.name} could not be opened ({exc}).",
                "Check it is connected and not in use, or choose another output device.",
            ) from exc

    def _callback(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        out = np.zeros(frames, dtype=np.float32)
        filled = 0
        with self._lock:
            while filled < frames and self._queue:
                head = self._queue[0]
                take = min(frames - filled, head.size)
                out[filled : filled + take] = head[:take]
                filled += take
                if take == head.size:
                    self._queue.pop(0)
                else:
                    self._queue[0] = head[take:]
            self._played += filled
            if not self._queue:
                self._idle.set()
        outdata[:, 0] = out

    def play(self, samples: Samples, sample_rate: int) -> None:
        """Queue audio (any rate; each clip resampled whole to the device's rate) and return at once."""
        audio = resample(np.asarray(samples, dtype=np.float32), sample_rate, self.rate)
        with self._lock:
            if self._idle.is_set():
                self._played = 0
            self._queue.append(audio)
            self._idle.clear()
            self._ensure_stream()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until everything queued has been handed to the device; False on timeout.

        Raises :class:`AudioDeviceError` if the device stops on its own (e.g. unplugged) with audio queued.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while not self._idle.wait(0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))):
            stream = self._stream
            if stream is None or not stream.active:
                self.stop()
                raise AudioDeviceError(f"The speaker {self.device.name} stopped playing (unplugged?).",
                                       "Check the headset or speaker, or choose another output device.")
            if deadline is not None and time.monotonic() >= deadline:
                return False
        return True

    def stop(self) -> None:
        """Drop queued audio; the device goes silent from its next block."""
        with self._lock:
            self._queue.clear()
            self._idle.set()

    @property
    def played_seconds(self) -> float:
        """Seconds played since playback last started from idle."""
        return self._played / self.rate

    @property
    def level_dbfs(self) -> float:
        """Not metered for output."""
        return -100.0

    def close(self) -> None:
        """Stop and release the device."""
        self.stop()
        if self._stream is not None:
            self._stream.stop()
            self._stream.close()
            self._stream = None
