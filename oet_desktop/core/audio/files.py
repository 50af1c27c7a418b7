"""Reading and writing audio files, and resampling to the app's 16 kHz mono."""

from __future__ import annotations

from math import gcd
from pathlib import Path

import numpy as np
import soundfile
import soxr

from oet_desktop.core.audio.types import SAMPLE_RATE, Samples
from oet_desktop.core.errors import AudioFileError

_FIX = "Choose a WAV, FLAC, OGG or MP3 recording (any sample rate, mono or stereo)."


def resample(samples: Samples, from_rate: int, to_rate: int) -> Samples:
    """Resample mono audio with a polyphase filter (no aliasing, exact length ratio)."""
    if from_rate == to_rate or samples.size == 0:
        return samples.astype(np.float32, copy=False)
    from scipy.signal import resample_poly  # imported on first use: scipy.signal takes about 1 s to import

    common = gcd(from_rate, to_rate)
    out = resample_poly(samples, to_rate // common, from_rate // common)
    return np.asarray(out, dtype=np.float32)


class StreamResampler:
    """Resamples a stream block by block with filter state carried across blocks (no clicks at block
    edges, no drift for non-integer ratios such as 22,050 → 16,000 Hz)."""

    def __init__(self, from_rate: int, to_rate: int) -> None:
        # "MQ" holds back 12 ms of filter delay ("HQ": 33 ms), which would add to every turn's latency.
        self._stream = soxr.ResampleStream(from_rate, to_rate, 1, dtype="float32", quality="MQ")

    def process(self, block: Samples, last: bool = False) -> Samples:
        """The resampled audio available so far (a few ms of filter delay are held back until ``last``)."""
        return np.asarray(self._stream.resample_chunk(np.asarray(block, dtype=np.float32), last=last),
                          dtype=np.float32)


def to_mono(data: np.ndarray) -> Samples:
    """Average channels to mono float32."""
    mono = data.mean(axis=1) if data.ndim == 2 else data
    return np.asarray(mono, dtype=np.float32)


def read_audio(path: Path, sample_rate: int = SAMPLE_RATE) -> Samples:
    """Read an audio file as float32 mono at ``sample_rate``.

    Raises :class:`AudioFileError` (one paragraph naming the file) for a missing, unreadable, empty or
    non-audio file.
    """
    if not path.exists():
        raise AudioFileError(f"The audio file {path} does not exist.", _FIX)
    if path.is_dir():
        raise AudioFileError(f"{path} is a folder, not an audio file.", _FIX)
    try:
        data, rate = soundfile.read(str(path), dtype="float32", always_2d=False)
    except PermissionError as exc:
        raise AudioFileError(f"The audio file {path} cannot be opened: permission denied.", _FIX) from exc
    except (soundfile.LibsndfileError, RuntimeError, OSError):
        data, rate = _read_with_ffmpeg_decoder(path, sample_rate), sample_rate
    samples = resample(to_mono(np.asarray(data)), int(rate), sample_rate)
    if samples.size == 0:
        raise AudioFileError(f"The audio file {path} contains no audio.", _FIX)
    return samples


def _read_with_ffmpeg_decoder(path: Path, sample_rate: int) -> Samples:
    """Decode formats libsndfile does not know (e.g. M4A) with PyAV, which faster-whisper ships."""
    try:
        from faster_whisper.audio import decode_audio

        return np.asarray(decode_audio(str(path), sampling_rate=sample_rate), dtype=np.float32)
    except Exception as exc:  # PyAV raises many error types for a non-audio file
        raise AudioFileError(
            f"{path} is not an audio file that can be read ({exc.__class__.__name__}).", _FIX
        ) from exc


def write_wav(path: Path, samples: Samples, sample_rate: int) -> None:
    """Write float32 mono audio as 16-bit PCM WAV."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        soundfile.write(str(path), np.clip(samples, -1.0, 1.0), sample_rate, subtype="PCM_16")
    except (OSError, RuntimeError) as exc:
        raise AudioFileError(
            f"The audio file {path} cannot be written ({exc}).",
            "Check that the folder exists, is writable and that the disk is not full.",
        ) from exc
