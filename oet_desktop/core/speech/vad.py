"""Voice activity detection with webrtcvad: segments and utterances with start/end times.

A *segment* is voiced audio ending at a pause of at least ``hangover_ms`` (finished segments can be
transcribed while the candidate is still talking). An *utterance* (a turn) ends at a pause of at least
``endpoint_ms``. Bursts with less than ``min_speech_ms`` of voiced audio (coughs, clicks) are dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import webrtcvad

from oet_desktop.core.audio.types import SAMPLE_RATE, Samples


@dataclass(frozen=True)
class VadConfig:
    """Tuning of the detector. Times are in milliseconds."""

    aggressiveness: int = 2
    """0 (keeps most audio as speech) to 3 (strictest about noise)."""
    frame_ms: int = 30
    """Analysis frame: 10, 20 or 30 ms (webrtcvad's sizes)."""
    onset_ms: int = 60
    """Voiced audio needed in a row before speech is said to start (debounces clicks)."""
    hangover_ms: int = 300
    """A pause at least this long closes a segment; shorter gaps are bridged."""
    min_speech_ms: int = 200
    """Utterances with less voiced audio than this are discarded."""
    endpoint_ms: int = 700
    """A pause at least this long ends the utterance (the candidate's turn)."""
    padding_ms: int = 200
    """Audio kept before and after the voiced span in an utterance's samples (helps recognition)."""

    def __post_init__(self) -> None:
        if self.aggressiveness not in (0, 1, 2, 3):
            raise ValueError(f"VAD aggressiveness must be 0-3, not {self.aggressiveness}")
        if self.frame_ms not in (10, 20, 30):
            raise ValueError(f"VAD frame must be 10, 20 or 30 ms, not {self.frame_ms}")
        if self.endpoint_ms < self.hangover_ms:
            raise ValueError("the endpoint window must be at least the hangover")


@dataclass(frozen=True)
class Segment:
    """A voiced span, in seconds from the start of the stream."""

    start: float
    end: float


@dataclass
class Utterance:
    """A finished utterance: voiced start/end (seconds), its segments and its audio (with padding)."""

    start: float
    end: float
    segments: list[Segment]
    samples: Samples
    samples_start: float
    """Stream time of ``samples[0]`` (``start`` minus the padding that was available)."""

    @property
    def duration(self) -> float:
        """Voiced span length in seconds."""
        return self.end - self.start


@dataclass(frozen=True)
class SpeechStarted:
    """Speech began at ``time`` (seconds)."""

    time: float


@dataclass(frozen=True)
class SegmentEnded:
    """A segment closed (a pause ≥ hangover), while the utterance may go on."""

    segment: Segment


@dataclass(frozen=True)
class UtteranceEnded:
    """The utterance ended (a pause ≥ endpoint window)."""

    utterance: Utterance


@dataclass(frozen=True)
class UtteranceDiscarded:
    """Speech that started (a :class:`SpeechStarted` was sent) turned out too short to count (a cough,
    a click): listeners that reacted to the start can stand down."""

    start: float
    end: float


VadEvent = SpeechStarted | SegmentEnded | UtteranceEnded | UtteranceDiscarded


class VoiceDetector(Protocol):
    """Answers whether one frame of 16 kHz int16 PCM holds speech."""

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        """True if the frame is voiced."""


@dataclass
class _Open:
    start: float
    seg_start: float
    last_voiced_end: float
    voiced_ms: int
    segments: list[Segment] = field(default_factory=list)
    segment_open: bool = True


class StreamingVad:
    """Feeds on audio blocks of any size and emits :data:`VadEvent` s as they happen."""

    def __init__(self, config: VadConfig | None = None, detector: VoiceDetector | None = None) -> None:
        self.config = config or VadConfig()
        self._detector: VoiceDetector = detector or webrtcvad.Vad(self.config.aggressiveness)
        self._frame = SAMPLE_RATE * self.config.frame_ms // 1000
        self._pending = np.zeros(0, dtype=np.float32)
        self._buffer: deque[Samples] = deque()
        self._buffer_start = 0.0
        self._time = 0.0  # stream time at the start of the next frame
        self._run_start: float | None = None
        self._run_ms = 0
        self._open: _Open | None = None

    @property
    def in_speech(self) -> bool:
        """Whether an utterance is under way."""
        return self._open is not None

    @property
    def time(self) -> float:
        """Seconds of audio consumed."""
        return self._time

    def push(self, samples: Samples) -> list[VadEvent]:
        """Consume audio; return the events it completes."""
        self._pending = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32)])
        events: list[VadEvent] = []
        while self._pending.size >= self._frame:
            frame, self._pending = self._pending[: self._frame], self._pending[self._frame :]
            events.extend(self._step(frame))
        return events

    def flush(self) -> list[VadEvent]:
        """End of stream: close an open utterance."""
        if self._open is None:
            return []
        return self._close(self._open)

    def _step(self, frame: Samples) -> list[VadEvent]:
        cfg = self.config
        pcm = (np.clip(frame, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        voiced = self._detector.is_speech(pcm, SAMPLE_RATE)
        t0, t1 = self._time, self._time + cfg.frame_ms / 1000
        self._time = t1
        self._buffer.append(frame)
        events: list[VadEvent] = []
        current = self._open
        if current is None:
            if voiced:
                if self._run_start is None:
                    self._run_start = t0
                self._run_ms += cfg.frame_ms
                if self._run_ms >= cfg.onset_ms:
                    start = self._run_start
                    self._open = _Open(start=start, seg_start=start, last_voiced_end=t1, voiced_ms=self._run_ms)
                    events.append(SpeechStarted(start))
            else:
                self._run_start, self._run_ms = None, 0
                self._trim_buffer(t1 - cfg.padding_ms / 1000 - cfg.onset_ms / 1000)
            return events
        if voiced:
            if not current.segment_open:
                current.seg_start, current.segment_open = t0, True
            current.last_voiced_end = t1
            current.voiced_ms += cfg.frame_ms
            return events
        gap_ms = (t1 - current.last_voiced_end) * 1000 + 1e-6
        if current.segment_open and gap_ms >= cfg.hangover_ms:
            segment = Segment(current.seg_start, current.last_voiced_end)
            current.segments.append(segment)
            current.segment_open = False
            events.append(SegmentEnded(segment))
        if gap_ms >= cfg.endpoint_ms:
            events.extend(self._close(current))
        return events

    def _close(self, current: _Open) -> list[VadEvent]:
        cfg = self.config
        self._open = None
        self._run_start, self._run_ms = None, 0
        events: list[VadEvent] = []
        if current.segment_open:
            segment = Segment(current.seg_start, current.last_voiced_end)
            current.segments.append(segment)
            events.append(SegmentEnded(segment))
        audio = np.concatenate(self._buffer) if self._buffer else np.zeros(0, dtype=np.float32)
        first = max(self._buffer_start, current.start - cfg.padding_ms / 1000)
        last = current.last_voiced_end + cfg.padding_ms / 1000
        lo = round((first - self._buffer_start) * SAMPLE_RATE)
        hi = round((last - self._buffer_start) * SAMPLE_RATE)
        utterance = Utterance(
            start=current.start,
            end=current.last_voiced_end,
            segments=current.segments,
            samples=audio[lo:hi],
            samples_start=first,
        )
        self._trim_buffer(self._time - cfg.padding_ms / 1000)
        if current.voiced_ms < cfg.min_speech_ms:
            return [*events, UtteranceDiscarded(current.start, current.last_voiced_end)]
        return [*events, UtteranceEnded(utterance)]

    def _trim_buffer(self, keep_from: float) -> None:
        """Forget audio before ``keep_from`` (seconds), keeping whole frames."""
        frame_s = self.config.frame_ms / 1000
        while self._buffer and self._buffer_start + frame_s <= keep_from:
            self._buffer.popleft()
            self._buffer_start += frame_s


def segment_utterances(samples: Samples, config: VadConfig | None = None) -> list[Utterance]:
    """Split a whole recording into utterances (offline use of :class:`StreamingVad`)."""
    vad = StreamingVad(config)
    events: Iterable[VadEvent] = [*vad.push(samples), *vad.flush()]
    return [e.utterance for e in events if isinstance(e, UtteranceEnded)]
