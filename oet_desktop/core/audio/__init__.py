"""Audio in and out: files, microphones and speakers, behind small interfaces with fakes for tests."""

from oet_desktop.core.audio.types import SAMPLE_RATE, AudioInput, AudioOutput

__all__ = ["SAMPLE_RATE", "AudioInput", "AudioOutput"]
