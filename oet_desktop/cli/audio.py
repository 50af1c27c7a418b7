"""`transcribe`, `say`, `devices` and `record`: checks of the speech recogniser, the voice and the sound
devices, without a role-play."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from oet_desktop.services import audio_tools
from oet_desktop.services.context import AppContext


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `transcribe`, `say`, `devices` and `record`."""
    transcribe = sub.add_parser("transcribe", help="transcribe an audio file")
    transcribe.set_defaults(handler=transcribe_command)
    transcribe.add_argument("audio", type=Path)
    transcribe.add_argument("--json", action="store_true", help="print words with times and probabilities")
    transcribe.add_argument("--keep-fillers", action="store_true", help="prompt Whisper to keep um/uh")

    say = sub.add_parser("say", help="speak text with the voice into a WAV file")
    say.set_defaults(handler=say_command)
    say.add_argument("text")
    say.add_argument("--out", type=Path, required=True)

    devices = sub.add_parser("devices", help="list microphones and speakers")
    devices.set_defaults(handler=devices_command)
    record = sub.add_parser("record", help="record from the microphone into a WAV file")
    record.set_defaults(handler=record_command)
    record.add_argument("--seconds", type=float, default=5.0)
    record.add_argument("--out", type=Path, required=True)
    record.add_argument("--device", help="device index or part of its name")


def transcribe_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop transcribe FILE`."""
    transcript = audio_tools.transcribe_file(context, args.audio, args.keep_fillers)
    if args.json:
        print(json.dumps({"text": transcript.text, "audio_seconds": transcript.audio_seconds,
                          "real_time_factor": round(transcript.real_time_factor, 4),
                          "words": [w.__dict__ for w in transcript.words]}, indent=2))
    else:
        print(transcript.text)
    return 0


def say_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop say TEXT --out FILE`."""
    written = audio_tools.say_to_file(context, args.text, args.out)
    print(f"{written.path}: {written.seconds:.2f} s at {written.rate} Hz")
    return 0


def devices_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop devices`."""
    for device in audio_tools.devices():
        marks = [m for m, on in (("default input", device.is_default_input),
                                 ("default output", device.is_default_output)) if on]
        print(f"{device.index:>3}  {device.name}  [{device.host_api}] in:{device.input_channels} "
              f"out:{device.output_channels} {int(device.default_sample_rate)} Hz {', '.join(marks)}")
    return 0


def record_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop record --out FILE`."""
    device: int | str | None = int(args.device) if args.device and args.device.isdigit() else args.device
    print(f"Recording {args.seconds:.1f} s from {audio_tools.microphone_name(device)}…", file=sys.stderr)
    written = audio_tools.record_to_file(device, args.seconds, args.out)
    print(f"{written.path}: {written.seconds:.2f} s, level {written.level_dbfs:.1f} dBFS")
    return 0
