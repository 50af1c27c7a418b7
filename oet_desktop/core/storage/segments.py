"""Audio as the store keeps it: 16-bit little-endian mono PCM segments, each placed on the session timeline.
A role-play in progress appends new segments; a whole track is laid out from them when it is needed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from oet_desktop.core.audio.types import Samples

FULL_SCALE = 32767
SPLIT_SILENCE_S = 0.5
"""An imported track is split into segments at runs of digital silence at least this long."""


@dataclass(frozen=True)
class AudioSegment:
    """One stretch of one side's audio: ``pcm`` (int16 samples) starting ``start_s`` into the session."""

    track: str
    start_s: float
    sample_rate: int
    pcm: np.ndarray

    @property
    def seconds(self) -> float:
        """How long the segment lasts."""
        return self.pcm.size / self.sample_rate

    def blob(self) -> bytes:
        """The bytes stored in the database."""
        return np.ascontiguousarray(self.pcm, dtype="<i2").tobytes()

    @classmethod
    def from_blob(cls, track: str, start_s: float, sample_rate: int, blob: bytes) -> AudioSegment:
        """A segment read back from the database."""
        return cls(track, start_s, sample_rate, np.frombuffer(blob, dtype="<i2"))


def to_pcm(samples: Samples) -> np.ndarray:
    """Float samples (−1…1) as int16, rounded and clipped."""
    scaled = np.multiply(samples, np.float32(FULL_SCALE), dtype=np.float32)
    np.clip(scaled, -FULL_SCALE, FULL_SCALE, out=scaled)
    np.rint(scaled, out=scaled)
    return scaled.astype(np.int16)


def to_float(pcm: np.ndarray) -> Samples:
    """int16 samples as float32 (−1…1)."""
    return (pcm.astype(np.float32) / FULL_SCALE).astype(np.float32)


def join_pieces(track: str, pieces: Sequence[tuple[float, Samples, int]]) -> list[AudioSegment]:
    """Segments from timed pieces (microphone blocks, synthesised sentences): pieces that follow on from each
    other at the same rate are joined, so a role-play's microphone stream becomes one segment per save."""
    segments: list[AudioSegment] = []
    run: list[Samples] = []
    run_start, run_rate, run_end = 0.0, 0, 0.0
    for start, samples, rate in pieces:
        if run and rate == run_rate and abs(start - run_end) <= 1.5 / rate:
            run.append(samples)
            run_end += samples.size / rate
            continue
        if run:
            segments.append(AudioSegment(track, run_start, run_rate, to_pcm(np.concatenate(run))))
        run, run_start, run_rate, run_end = [samples], start, rate, start + samples.size / rate
    if run:
        segments.append(AudioSegment(track, run_start, run_rate, to_pcm(np.concatenate(run))))
    return segments


def lay_out(segments: Sequence[AudioSegment], rate: int) -> np.ndarray:
    """The track as int16 samples at ``rate`` on the session timeline (silence between segments); segments at
    another rate are resampled."""
    from oet_desktop.core.audio.files import resample

    if not segments:
        return np.zeros(0, dtype=np.int16)
    placed = []
    for segment in segments:
        pcm = segment.pcm if segment.sample_rate == rate else to_pcm(resample(to_float(segment.pcm),
                                                                              segment.sample_rate, rate))
        placed.append((round(segment.start_s * rate), pcm))
    out = np.zeros(max(start + pcm.size for start, pcm in placed), dtype=np.int32)
    for start, pcm in placed:
        out[start : start + pcm.size] += pcm
    return np.clip(out, -FULL_SCALE - 1, FULL_SCALE).astype(np.int16)


def split_track(track: str, pcm: np.ndarray, rate: int) -> list[AudioSegment]:
    """Segments from a whole track (an imported WAV): cut at runs of exact zeros of at least
    :data:`SPLIT_SILENCE_S`, so laying the segments out again gives the same samples."""
    if pcm.size == 0:
        return []
    padded = np.concatenate(([0], (pcm == 0).astype(np.int8), [0]))
    change = np.diff(padded)
    runs = zip(np.flatnonzero(change == 1), np.flatnonzero(change == -1), strict=True)
    keep_from, segments = 0, []
    for run_start, run_end in runs:
        if run_end - run_start < SPLIT_SILENCE_S * rate or run_end == pcm.size:
            continue  # short pauses stay inside a segment; trailing silence stays so the length is kept
        if run_start > keep_from:
            segments.append(AudioSegment(track, keep_from / rate, rate, pcm[keep_from:run_start].copy()))
        keep_from = int(run_end)
    if keep_from < pcm.size:
        segments.append(AudioSegment(track, keep_from / rate, rate, pcm[keep_from:].copy()))
    return segments
