"""The real audio path: PortAudio ↔ PulseAudio virtual devices, our capture and playback code, real STT."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.audio.files import read_audio, write_wav
from oet_desktop.core.audio.microphone import MicrophoneInput
from oet_desktop.core.audio.speaker import SpeakerOutput
from oet_desktop.core.audio.types import SAMPLE_RATE, Samples, level_dbfs
from oet_desktop.core.engines import EngineSet
from tests.conftest import JFK_FLAC, JFK_TEXT, VirtualAudio
from tests.helpers import word_error_rate

pytestmark = [pytest.mark.audio, pytest.mark.models]


class Recorder:
    """Collects microphone blocks; signals when the first one arrives (the stream takes ~2 s to start)."""

    def __init__(self) -> None:
        self.blocks: list[Samples] = []
        self.first = threading.Event()

    def __call__(self, block: Samples) -> None:
        self.blocks.append(block)
        self.first.set()

    @property
    def audio(self) -> Samples:
        return np.concatenate(self.blocks) if self.blocks else np.zeros(0, np.float32)


def test_speech_played_into_the_virtual_microphone_is_captured_and_transcribed(
    virtual_audio: VirtualAudio, engines: EngineSet, tmp_path: Path
) -> None:
    wav = tmp_path / "jfk16.wav"
    write_wav(wav, read_audio(JFK_FLAC), SAMPLE_RATE)
    microphone = MicrophoneInput()
    recorder = Recorder()
    microphone.start(recorder)
    try:
        assert recorder.first.wait(15), "the virtual microphone delivered nothing"
        player = virtual_audio.play(wav)
        assert player.wait(30) == 0
        time.sleep(0.5)
    finally:
        microphone.stop()
    captured = recorder.audio
    assert microphone.sample_rate == SAMPLE_RATE
    assert level_dbfs(captured) > -40
    transcript = engines.transcriber().transcribe(captured)
    wer = word_error_rate(JFK_TEXT, transcript.text)
    print(f"captured {captured.size / SAMPLE_RATE:.1f} s from {microphone.device.name}; WER {wer:.3f}: "
          f"{transcript.text!r}")
    assert wer <= 0.10


def test_the_voice_played_through_the_speaker_reaches_the_microphone(
    virtual_audio: VirtualAudio, engines: EngineSet
) -> None:
    sentence = "Please take one tablet twice a day with food."
    audio, rate = engines.voice().speak_all(sentence)
    microphone, speaker = MicrophoneInput(), SpeakerOutput()
    recorder = Recorder()
    microphone.start(recorder)
    try:
        assert recorder.first.wait(15)
        speaker.play(audio, rate)
        assert speaker.wait(15)
        time.sleep(0.6)
    finally:
        microphone.stop()
        speaker.close()
    transcript = engines.transcriber().transcribe(recorder.audio)
    print(f"speaker → microphone: {transcript.text!r}")
    assert word_error_rate(sentence, transcript.text) <= 0.10


def test_stopping_the_speaker_silences_it_at_once(virtual_audio: VirtualAudio, engines: EngineSet) -> None:
    audio, rate = engines.voice().speak_all(
        "I have been feeling rather tired for the last few weeks, and I am not sleeping well at all."
    )
    total = audio.size / rate
    microphone, speaker = MicrophoneInput(), SpeakerOutput()  # the microphone hears the speaker's sink
    recorder = Recorder()
    microphone.start(recorder)
    try:
        assert recorder.first.wait(15)
        speaker.play(audio, rate)
        deadline = time.monotonic() + 10
        while speaker.played_seconds < 1.5:  # let the patient talk for a while
            assert time.monotonic() < deadline
            time.sleep(0.01)
        stop_at = recorder.audio.size
        speaker.stop()
        played = speaker.played_seconds
        time.sleep(1.0)
    finally:
        microphone.stop()
        speaker.close()
    heard = recorder.audio
    before = level_dbfs(heard[stop_at - SAMPLE_RATE // 2 : stop_at])
    window = SAMPLE_RATE * 150 // 1000  # the barge-in budget: silent within 150 ms
    after = level_dbfs(heard[stop_at + window : stop_at + SAMPLE_RATE])
    print(f"stopped after {played:.2f} s of {total:.2f} s; level before {before:.1f} dBFS, after {after:.1f} dBFS")
    assert played < total - 1.0
    assert before > -40  # the voice was reaching the microphone
    assert after < -70  # and from 150 ms after stop() nothing does


def test_recording_resamples_when_asked_for_a_device_rate(virtual_audio: VirtualAudio) -> None:
    microphone = MicrophoneInput()
    microphone.device_rate = 48_000  # as chosen for a device that cannot open at 16 kHz
    recorder = Recorder()
    microphone.start(recorder)
    try:
        assert recorder.first.wait(15)
        began = time.monotonic()
        time.sleep(2.0)
        elapsed = time.monotonic() - began
    finally:
        microphone.stop()
    captured = recorder.audio.size / SAMPLE_RATE
    # 16 kHz audio for the time recorded (a wrong ratio, e.g. 44.1 vs 48 kHz, would be 0.16 s off)
    assert abs(captured - elapsed) < 0.1, (captured, elapsed)
