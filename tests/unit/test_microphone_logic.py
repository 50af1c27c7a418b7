"""Microphone and device choice against a stand-in PortAudio module (the real path is in tests/integration)."""

from __future__ import annotations

import types
from typing import Any

import numpy as np
import pytest

from oet_desktop.core.audio.devices import choose_device
from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.microphone import MicrophoneInput
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.errors import AudioDeviceError


def _fake_sounddevice(devices: list[dict[str, Any]], supports_16k: bool = True) -> Any:
    module = types.SimpleNamespace()
    module.query_devices = lambda: devices
    module.query_hostapis = lambda: [{"name": "ALSA"}]
    module.default = types.SimpleNamespace(device=(0 if devices else -1, 0 if devices else -1))
    module.started = []
    module.blocks = 3

    def check_input_settings(**kwargs: Any) -> None:
        if not supports_16k and kwargs["samplerate"] != 48_000:
            raise ValueError("Invalid sample rate")

    class InputStream:
        def __init__(self, samplerate: int, blocksize: int, callback: Any, **kwargs: Any) -> None:
            self.rate, self.blocksize, self.callback = samplerate, blocksize, callback

        def start(self) -> None:
            module.started.append(self.rate)
            t = np.arange(self.blocksize * module.blocks) / self.rate
            signal = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # continuous across blocks
            module.signal = signal
            for i in range(module.blocks):
                block = signal[i * self.blocksize : (i + 1) * self.blocksize, None]
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


@pytest.mark.parametrize("device_rate", [48_000, 44_100, 22_050])
def test_a_device_that_cannot_record_at_16k_is_resampled_without_block_artefacts(device_rate: int) -> None:
    sd = _fake_sounddevice([{**HEADSET, "default_samplerate": float(device_rate)}], supports_16k=False)
    sd.blocks = 100  # 3 s of 30 ms blocks
    microphone = MicrophoneInput(sd=sd)
    blocks: list[np.ndarray] = []
    microphone.start(blocks.append)
    microphone.stop()
    assert sd.started == [device_rate]
    captured = np.concatenate(blocks)
    held_back = 3.0 * SAMPLE_RATE - captured.size  # the resampler's filter delay, not lost audio
    assert 0 <= held_back <= 0.02 * SAMPLE_RATE
    expected = resample(sd.signal, device_rate, SAMPLE_RATE)  # the whole signal resampled at once
    middle = np.arange(8_000, 40_000)

    def error_power(delay: int) -> float:  # the stream holds back a few ms of filter delay
        return float(np.mean((captured[middle] - expected[middle - delay]) ** 2))

    best = min(range(0, 400), key=error_power)
    snr = 10 * np.log10(np.mean(expected[middle] ** 2) / max(error_power(best), 1e-20))
    assert snr > 60, f"{snr:.1f} dB"
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
