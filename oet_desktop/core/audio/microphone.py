"""Microphone capture at 16 kHz mono, resampling when the device cannot record at that rate."""

from __future__ import annotations

import logging
import threading
from types import ModuleType
from typing import Any

import numpy as np

from oet_desktop.core.audio.devices import choose_device, load_sounddevice
from oet_desktop.core.audio.files import StreamResampler
from oet_desktop.core.audio.types import SAMPLE_RATE, FrameCallback, Samples, level_dbfs
from oet_desktop.core.errors import AudioDeviceError

log = logging.getLogger(__name__)


class MicrophoneInput:
    """Captures a sound device in ``block_ms`` blocks and delivers 16 kHz mono float32 to a callback.

    If the device cannot open at 16 kHz it is opened at its own default rate and each block is resampled.
    """

    def __init__(
        self,
        device: int | str | None = None,
        block_ms: int = 30,
        sd: ModuleType | None = None,
    ) -> None:
        self._sd = sd or load_sounddevice()
        self.device = choose_device("input", device, self._sd)
        self.sample_rate = SAMPLE_RATE
        self._block_ms = block_ms
        self._stream: Any = None
        self._level = -100.0
        self._lock = threading.Lock()
        self.device_rate = self._pick_rate()
        self._closing = False
        self.error: str | None = None
        """Set when the device stops on its own (e.g. unplugged mid role-play)."""

    def _pick_rate(self) -> int:
        try:
            self._sd.check_input_settings(device=self.device.index, samplerate=SAMPLE_RATE, channels=1)
            return SAMPLE_RATE
        except Exception:
            log.info("%s cannot record at 16 kHz; capturing at %s Hz and resampling",
                     self.device.name, self.device.default_sample_rate)
            return int(self.device.default_sample_rate)

    def start(self, on_frames: FrameCallback) -> None:
        """Open the device and deliver blocks to ``on_frames`` from PortAudio's thread."""
        rate = self.device_rate
        resampler = StreamResampler(rate, SAMPLE_RATE) if rate != SAMPLE_RATE else None

        def callback(indata: Any, frames: int, time: Any, status: Any) -> None:
            if status:
                log.debug("microphone status: %s", status)
            block: Samples = np.array(indata[:, 0], dtype=np.float32)
            if resampler is not None:
                block = resampler.process(block)
            self._level = level_dbfs(block)
            if block.size:
                on_frames(block)

        def finished() -> None:
            if not self._closing:
                self.error = f"The microphone {self.device.name} stopped delivering audio (unplugged?)."

        with self._lock:
            if self._stream is not None:
                return
            self._closing = False
            self.error = None
            try:
                stream = self._sd.InputStream(
                    device=self.device.index,
                    samplerate=rate,
                    channels=1,
                    dtype="float32",
                    blocksize=int(rate * self._block_ms / 1000),
                    latency="high",  # larger buffers: no overruns while speech models load both cores
                    callback=callback,
                    finished_callback=finished,
                )
                stream.start()
            except Exception as exc:
                raise AudioDeviceError(
                    f"The microphone {self.device.name} could not be opened ({exc}).",
                    "Check it is connected and not in use by another program, or choose another microphone.",
                ) from exc
            self._stream = stream

    def stop(self) -> None:
        """Close the device; safe to call twice, and after the device was unplugged."""
        with self._lock:
            stream, self._stream = self._stream, None
            if stream is not None:
                self._closing = True
        if stream is not None:
            try:
                stream.stop()
                stream.close()
            except Exception as exc:  # PortAudio errors once the device is gone
                log.warning("closing the microphone %s: %s", self.device.name, exc)

    @property
    def level_dbfs(self) -> float:
        """Level of the latest block, for a meter."""
        return self._level

    def record(self, seconds: float) -> Samples:
        """Capture ``seconds`` of audio and return it (a convenience for checks and tests)."""
        blocks: list[Samples] = []
        done = threading.Event()
        wanted = int(seconds * SAMPLE_RATE)

        def collect(block: Samples) -> None:
            blocks.append(block)
            if sum(b.size for b in blocks) >= wanted:
                done.set()

        self.start(collect)
        try:
            if not done.wait(seconds + 10.0):
                raise AudioDeviceError(
                    f"The microphone {self.device.name} delivered no audio for {seconds + 10:.0f} s.",
                    "Check it is connected and not muted, or choose another microphone.",
                )
        finally:
            self.stop()
        return np.concatenate(blocks)[:wanted] if blocks else np.zeros(0, dtype=np.float32)
