"""Listing and choosing sound devices through PortAudio (sounddevice)."""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import Any

from oet_desktop.core.errors import AudioDeviceError

_PORTAUDIO_FIX = (
    "Install PortAudio (Debian/Ubuntu: `sudo apt-get install libportaudio2`; it ships with the Windows and "
    "macOS builds) and start the app again."
)


def load_sounddevice() -> ModuleType:
    """Import sounddevice, turning a missing PortAudio library into a clear error."""
    try:
        import sounddevice
    except OSError as exc:
        raise AudioDeviceError(f"The sound system cannot start: {exc}.", _PORTAUDIO_FIX) from exc
    module: ModuleType = sounddevice
    return module


def refresh_devices(sd: ModuleType | None = None) -> None:
    """Re-scan the sound system (PortAudio only sees devices plugged in, or servers started, before it
    initialised). Close every open stream first."""
    sd = sd or load_sounddevice()
    sd._terminate()
    sd._initialize()


@dataclass(frozen=True)
class AudioDevice:
    """One PortAudio device."""

    index: int
    name: str
    host_api: str
    input_channels: int
    output_channels: int
    default_sample_rate: float
    is_default_input: bool
    is_default_output: bool


def list_devices(sd: ModuleType | None = None) -> list[AudioDevice]:
    """Every input and output device PortAudio sees."""
    sd = sd or load_sounddevice()
    try:
        raw: Any = sd.query_devices()
        hostapis: Any = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except Exception as exc:  # PortAudio raises PortAudioError or OSError
        raise AudioDeviceError(f"The sound devices cannot be listed ({exc}).", _PORTAUDIO_FIX) from exc
    return [
        AudioDevice(
            index=i,
            name=str(d["name"]),
            host_api=str(hostapis[d["hostapi"]]["name"]),
            input_channels=int(d["max_input_channels"]),
            output_channels=int(d["max_output_channels"]),
            default_sample_rate=float(d["default_samplerate"]),
            is_default_input=i == default_in,
            is_default_output=i == default_out,
        )
        for i, d in enumerate(raw)
    ]


def choose_device(kind: str, wanted: int | str | None, sd: ModuleType | None = None) -> AudioDevice:
    """The input (``kind="input"``) or output device to use: by index, by name fragment, or the default.

    Raises :class:`AudioDeviceError` when there is none, naming the devices that do exist.
    """
    devices = list_devices(sd)
    usable = [d for d in devices if (d.input_channels if kind == "input" else d.output_channels) > 0]
    noun = "microphone" if kind == "input" else "speaker or headphones"
    if not usable:
        raise AudioDeviceError(
            f"No {noun} was found on this computer.",
            f"Connect a {noun} (a headset works best), check it is enabled in the system sound settings, "
            "then try again.",
        )
    if wanted is None:
        default = next((d for d in usable if (d.is_default_input if kind == "input" else d.is_default_output)), None)
        return default or usable[0]
    for device in usable:
        if device.index == wanted or (isinstance(wanted, str) and wanted.lower() in device.name.lower()):
            return device
    names = "; ".join(f"{d.index}: {d.name}" for d in usable)
    raise AudioDeviceError(
        f"The {noun} {wanted!r} is not connected.", f"Choose one of these devices: {names}."
    )
