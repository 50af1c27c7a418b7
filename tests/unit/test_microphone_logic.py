"""Microphone and device choice against a stand-in PortAudio module (the real path is in tests/integration)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest

from oet_desktop.core.audio.devices import choose_device
from oet_desktop.core.audio.microphone import MicrophoneInput
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.errors import AudioDeviceError


def _fake_sounddevice(devices: list[dict[str, Any]], supports_16k: bool = True) -> Any:
    module = types.SimpleNamespace()
    module.query_devices = lambda: devices
    module.query_hostapis = lambda: [{"name": "ALSA"}]
    module.default = types.SimpleNamespace(device=(0 if devices else -1, 0 if devices else -1))
    module.started = []

    def check_input_settings(**kwargs: Any) -> None:
        if not supports_16k and kwargs["samplerate"] != 48_000:
            raise ValueError("Invalid sample rate")

    class InputStream:
        def __init__(self, samplerate: int, blocksize: int, callback: Any, **kwargs: Any) -> None:
            self.rate, self.blocksize, self.callback = samplerate, blocksize, callback

        def start(self) -> None:
            module.started.append(self.rate)
            t = np.arange(self.blocksize) / self.rate
            block = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None]
            for _ in range(3):
                self.callback(block, self.blocksize, None, None)

        def stop(self) -> None:
            pass

        def close(self) -> None:
            pass

    module.check_input_settings = check_input_settings
    module.InputStream = InputStream
    return module


HEADSET = {"name": "USB Headset", "hostapi": 0, "max_input_channels": 1, "max_output_channels": 2,
           "default_samplerate": 48_000.0}


def test_a_device_that_cannot_record_at_16k_is_resampled() -> None:
    sd = _fake_sounddevice([HEADSET], supports_16k=False)
    microphone = MicrophoneInput(sd=sd)
    blocks: list[np.ndarray] = []
    microphone.start(blocks.append)
    microphone.stop()
    assert sd.started == [48_000]
    assert [b.size for b in blocks] == [int(SAMPLE_RATE * 0.03)] * 3
    assert -10 < microphone.level_dbfs < -5  # a 0.5 amplitude sine is about -9 dBFS


def test_no_microphone_is_a_clear_error() -> None:
    speaker_only = {**HEADSET, "name": "HDMI", "max_input_channels": 0}
    with pytest.raises(AudioDeviceError) as caught:
        MicrophoneInput(sd=_fake_sounddevice([speaker_only]))
    assert "No microphone was found" in caught.value.paragraph()
    assert "headset" in caught.value.paragraph()


def test_choosing_a_device_by_name_and_an_unknown_name() -> None:
    sd = _fake_sounddevice([HEADSET])
    assert choose_device("input", "usb", sd).name == "USB Headset"
    with pytest.raises(AudioDeviceError, match="0: USB Headset"):
        choose_device("input", "Blue Yeti", sd)
