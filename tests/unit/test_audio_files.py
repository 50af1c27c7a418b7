"""Reading and writing audio files, resampling, and clear errors for bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from oet_desktop.core.audio.files import read_audio, resample, write_wav
from oet_desktop.core.audio.types import SAMPLE_RATE, level_dbfs
from oet_desktop.core.errors import AudioFileError
from tests.conftest import JFK_FLAC


def _tone(seconds: float, rate: int, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.5 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def test_stereo_44k_wav_is_read_as_16k_mono(tmp_path: Path) -> None:
    tone = _tone(2.0, 44_100)
    soundfile.write(tmp_path / "stereo.wav", np.stack([tone, tone], axis=1), 44_100)
    samples = read_audio(tmp_path / "stereo.wav")
    assert samples.dtype == np.float32
    assert samples.size == 2 * SAMPLE_RATE
    assert abs(level_dbfs(samples) - level_dbfs(tone)) < 0.5


def test_the_real_flac_recording_reads_at_16k() -> None:
    samples = read_audio(JFK_FLAC)
    assert 10.5 < samples.size / SAMPLE_RATE < 11.5


def test_resampling_keeps_a_tone_at_its_pitch() -> None:
    resampled = resample(_tone(1.0, 48_000, 1000.0), 48_000, SAMPLE_RATE)
    spectrum = np.abs(np.fft.rfft(resampled))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / resampled.size - 1000.0) < 2.0


def test_write_then_read_round_trip(tmp_path: Path) -> None:
    write_wav(tmp_path / "out" / "tone.wav", _tone(1.0, 22_050), 22_050)
    assert read_audio(tmp_path / "out" / "tone.wav").size == SAMPLE_RATE


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.write_text("this is a text file, not audio"), "is not an audio file"),
        (lambda p: p.write_bytes(b""), "is not an audio file"),
        (lambda p: None, "does not exist"),
        (lambda p: p.mkdir(), "is a folder"),
        (lambda p: soundfile.write(p, np.zeros(0, dtype=np.float32), 16_000), "contains no audio"),
    ],
    ids=["text", "empty-file", "missing", "folder", "zero-samples"],
)
def test_bad_files_get_one_clear_paragraph(tmp_path: Path, make, expected: str) -> None:
    path = tmp_path / "candidate.wav"
    make(path)
    with pytest.raises(AudioFileError) as caught:
        read_audio(path)
    message = caught.value.paragraph()
    assert expected in message
    assert str(path) in message
    assert "WAV, FLAC" in message  # says what to do


def test_an_unwritable_folder_gives_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(AudioFileError, match="cannot be written"):
        write_wav(blocker / "out.wav", _tone(0.1, 16_000), 16_000)
