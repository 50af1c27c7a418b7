"""Small audio tools: transcribe a file, speak text into a WAV, list the sound devices and record from the
microphone (checks a candidate or a teacher can run without a role-play)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from oet_desktop.core.audio.devices import AudioDevice, list_devices
from oet_desktop.core.audio.files import read_audio, write_wav
from oet_desktop.core.audio.types import SAMPLE_RATE, AudioInput, level_dbfs
from oet_desktop.core.speech.stt import Transcript
from oet_desktop.services.context import AppContext


def transcribe_file(context: AppContext, audio: Path, keep_fillers: bool = False) -> Transcript:
    """What the speech recogniser hears in an audio file."""
    return context.engines.transcriber().transcribe(read_audio(audio), keep_fillers=keep_fillers)


@dataclass(frozen=True)
class WrittenAudio:
    """An audio file written: where, how long, at what rate, how loud."""

    path: Path
    seconds: float
    rate: int
    level_dbfs: float


def say_to_file(context: AppContext, text: str, out: Path) -> WrittenAudio:
    """``text`` spoken by the patient's voice, as a WAV file."""
    samples, rate = context.engines.voice().speak_all(text)
    write_wav(out, samples, rate)
    return WrittenAudio(out, samples.size / rate, rate, level_dbfs(samples))


def devices() -> list[AudioDevice]:
    """The microphones and speakers the sound system offers."""
    return list_devices()


def microphone_name(device: int | str | None) -> str:
    """The name of the input device ``device`` picks (the default when None)."""
    from oet_desktop.core.audio.microphone import MicrophoneInput

    return MicrophoneInput(device).device.name


def record_to_file(device: int | str | None, seconds: float, out: Path) -> WrittenAudio:
    """Record ``seconds`` from the microphone into a WAV file."""
    from oet_desktop.core.audio.microphone import MicrophoneInput

    samples = MicrophoneInput(device).record(seconds)
    write_wav(out, samples, SAMPLE_RATE)
    return WrittenAudio(out, samples.size / SAMPLE_RATE, SAMPLE_RATE, level_dbfs(samples))


def open_for_level(device: int | str | None) -> AudioInput:
    """A microphone opened and delivering audio, so its level can be shown (``stop()`` it afterwards)."""
    from oet_desktop.core.audio.microphone import MicrophoneInput

    microphone = MicrophoneInput(device)
    microphone.start(lambda block: None)
    return microphone


def record_and_play_back(device: int | str | None, seconds: float) -> float:
    """The first-run microphone check: record ``seconds``, play it back on the default speaker, and return the
    recording's level (dBFS)."""
    from oet_desktop.core.audio.microphone import MicrophoneInput
    from oet_desktop.core.audio.speaker import SpeakerOutput

    samples = MicrophoneInput(device).record(seconds)
    speaker = SpeakerOutput()
    try:
        speaker.play(samples, SAMPLE_RATE)
        speaker.wait(seconds + 2)
    finally:
        speaker.close()
    return level_dbfs(samples)
