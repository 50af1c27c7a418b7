"""A 3-turn role-play through the real audio path: candidate WAVs played into the PulseAudio virtual
microphone, the real models, and the patient's reply captured from a virtual speaker and transcribed."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from oet_desktop.core.audio.files import read_audio, resample, write_wav
from oet_desktop.core.audio.microphone import MicrophoneInput
from oet_desktop.core.audio.speaker import SpeakerOutput
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.content.scenario import CLOSING_LINE
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.practice.clock import MonotonicClock
from oet_desktop.core.practice.director import Director
from oet_desktop.core.practice.engine import RolePlayEngine
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon
from oet_desktop.core.practice.realiser import PHRASING, Realiser
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.practice.session import Mode, PracticeSession
from oet_desktop.core.practice.worker import RolePlayWorker
from tests.conftest import VirtualAudio
from tests.helpers import word_error_rate

pytestmark = [pytest.mark.audio, pytest.mark.models]

SCENARIO = ScenarioLibrary.load([bundled_scenarios_dir()]).get("nursing-insulin-start-driver")
assert SCENARIO is not None
CANDIDATE = [
    "Hello Mr Qureshi, I'm Sam, the practice nurse.",
    "Can you tell me about your work?",
    "Thank you for your time today. Take care, goodbye.",
]


def test_three_turns_through_the_virtual_microphone_and_speaker(
    virtual_audio: VirtualAudio, patient_sink: str, engines: EngineSet, tmp_path: Path
) -> None:
    voice = engines.voice()
    wavs = []
    for index, text in enumerate(CANDIDATE):
        audio, rate = voice.speak_all(text)
        wavs.append(tmp_path / f"turn{index}.wav")
        write_wav(wavs[-1], resample(audio, rate, SAMPLE_RATE), SAMPLE_RATE)
    captured = tmp_path / "patient.wav"
    recorder = subprocess.Popen(["parec", "-d", f"{patient_sink}.monitor", "--file-format=wav", "--rate=16000",
                                 "--channels=1", str(captured)], env=virtual_audio.env)
    clock = MonotonicClock()
    session = PracticeSession([SCENARIO], Mode.PRACTICE, clock)
    session.start()
    record = SessionRecord(SCENARIO.id, "practice", "half_duplex", {})
    jargon = JargonDetector.for_scenario(SCENARIO.lay_terms, load_lexicon(), SCENARIO.interlocutor_words)
    speaker = SpeakerOutput()
    engine = RolePlayEngine(session, Director(SCENARIO, engines.embedder(), jargon),
                            Realiser(SCENARIO, None, PHRASING["scripted"]), engines.transcriber(), voice,
                            speaker, clock, record)
    live = RolePlayWorker(engine, MicrophoneInput())
    live.start()
    try:
        time.sleep(3.0)  # the virtual microphone's first callback takes about 2 s
        for index, wav in enumerate(wavs):
            assert virtual_audio.play(wav).wait(30) == 0
            deadline = time.monotonic() + 20
            while len(record.turns) <= index:
                assert time.monotonic() < deadline, f"no reply to turn {index + 1}: {record.turns}"
                assert live.error is None
                time.sleep(0.05)
            while not record.turns[index].reply_text or engine.patient_speaking:
                assert time.monotonic() < deadline + 20, "the reply never finished"
                time.sleep(0.05)  # half-duplex: the candidate waits for the patient to finish
            assert speaker.wait(20)
            time.sleep(0.5)
    finally:
        live.stop(end_role_play=False)
        speaker.close()
        recorder.terminate()
        recorder.wait(5)
    replies = [turn.reply_text for turn in record.turns]
    print("turns:", [(t.candidate_text, t.move_kind, f"{t.latency.response * 1000:.0f} ms") for t in record.turns])
    assert [t.move_kind for t in record.turns] == ["cue", "fact", "closing"]
    assert replies[0] == SCENARIO.interlocutor.cues[0].say
    work = next(f for f in SCENARIO.interlocutor.facts if "work" in f.about)
    assert replies[1] == work.say
    assert replies[2].endswith(CLOSING_LINE)
    heard = engines.transcriber().transcribe(read_audio(captured)).text
    wer = word_error_rate(" ".join(replies), heard)
    print(f"patient audio transcribed back: {heard!r} (WER {wer:.2f})")
    assert wer <= 0.15
