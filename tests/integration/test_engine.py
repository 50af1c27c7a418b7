"""The turn engine with the real models on a simulated clock: time-up closing, half-duplex, barge-in,
push-to-talk, and the session record."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.memory import RecordingOutput
from oet_desktop.core.audio.types import SAMPLE_RATE, Samples
from oet_desktop.core.content.library import ScenarioLibrary, bundled_scenarios_dir
from oet_desktop.core.content.scenario import CLOSING_LINE
from oet_desktop.core.engines import EngineSet
from oet_desktop.core.practice.clock import SimulatedClock
from oet_desktop.core.practice.director import Director
from oet_desktop.core.practice.engine import RolePlayEngine, TurnMode
from oet_desktop.core.practice.jargon import JargonDetector, load_lexicon
from oet_desktop.core.practice.realiser import PHRASING, Realiser
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.practice.session import Mode, Phase, PracticeSession

pytestmark = pytest.mark.models

SCENARIO = ScenarioLibrary.load([bundled_scenarios_dir()]).get("nursing-insulin-start-driver")
assert SCENARIO is not None
BLOCK = 480


class Rig:
    """An engine on a simulated clock, fed block by block."""

    def __init__(self, engines: EngineSet, mode: Mode = Mode.PRACTICE,
                 turn_mode: TurnMode = TurnMode.HALF_DUPLEX) -> None:
        self.clock = SimulatedClock()
        self.session = PracticeSession([SCENARIO], mode, self.clock)
        self.session.start()
        self.output = RecordingOutput()
        self.record = SessionRecord(SCENARIO.id, mode.value, turn_mode.value, {})
        jargon = JargonDetector.for_scenario(SCENARIO.lay_terms, load_lexicon(), SCENARIO.interlocutor_words)
        self.engine = RolePlayEngine(
            self.session, Director(SCENARIO, engines.embedder(), jargon),
            Realiser(SCENARIO, None, PHRASING["scripted"]),
            engines.transcriber(), engines.voice(), self.output, self.clock, self.record, turn_mode=turn_mode)
        self.engine.start()
        self.voice = engines.voice()

    def speech(self, text: str) -> Samples:
        audio, rate = self.voice.speak_all(text)
        return resample(audio, rate, SAMPLE_RATE)

    def feed(self, samples: Samples) -> None:
        for offset in range(0, samples.size, BLOCK):
            block = samples[offset : offset + BLOCK]
            self.clock.advance(block.size / SAMPLE_RATE)
            self.engine.on_audio(block)

    def silence(self, seconds: float) -> None:
        self.feed(np.zeros(int(seconds * SAMPLE_RATE), dtype=np.float32))

    def say(self, text: str) -> None:
        self.feed(self.speech(text))
        self.silence(1.2)

    def listen(self) -> None:
        """Let the patient's reply finish."""
        self.silence(max(0.0, self.engine.busy_until - self.engine.now()) + 0.5)


def test_time_up_ends_the_role_play_with_the_closing_line(engines: EngineSet) -> None:
    rig = Rig(engines, Mode.EXAM)
    rig.say("Hello Mr Qureshi, I'm Sam, the practice nurse.")
    assert len(rig.record.turns) == 1
    rig.silence(301)
    closing = rig.record.turns[-1]
    assert closing.move_kind == "closing"
    assert closing.reply_text.endswith(CLOSING_LINE)
    assert rig.session.phase is Phase.FINISHED
    assert rig.engine.finished
    assert rig.record.events[-1]["reason"] == "time up"
    rig.engine.shutdown()


def test_half_duplex_ignores_the_microphone_while_the_patient_speaks(engines: EngineSet) -> None:
    rig = Rig(engines)
    rig.say("Hello Mr Qureshi, I'm Sam, the practice nurse.")
    reply = rig.record.turns[0]
    assert reply.reply_seconds > 1.0
    rig.engine._speaking.start = rig.engine.now()  # the reply is playing from now
    rig.engine._speaking.end = rig.engine.now() + 10
    rig.say("Can you tell me about your work?")  # said over the patient: not heard
    assert len(rig.record.turns) == 1
    rig.listen()
    rig.say("Can you tell me about your work?")
    assert len(rig.record.turns) == 2
    assert rig.record.turns[1].move_kind == "fact"
    rig.engine.shutdown()


def test_barge_in_stops_the_patient_at_once_and_keeps_only_what_was_heard(engines: EngineSet) -> None:
    rig = Rig(engines, turn_mode=TurnMode.BARGE_IN)
    rig.say("Hello Mr Qureshi, I'm Sam, the practice nurse.")
    rig.listen()
    rig.say("Can you tell me about your work?")
    reply = rig.record.turns[1]
    assert reply.reply_seconds > 3.0
    speaking = rig.engine._speaking
    assert speaking is not None
    speaking.start, speaking.end = rig.engine.now(), rig.engine.now() + reply.reply_seconds
    rig.silence(1.0)  # one second of the reply is heard
    interrupt_at = rig.engine.now()
    rig.feed(rig.speech("Sorry, just to check, do you drive for work?"))
    events = [e for e in rig.record.events if e["kind"] == "barge_in"]
    assert len(events) == 1
    event = events[0]
    print(f"barge-in: clip fed from {interrupt_at:.3f} s, speech at {event['speech_at']:.3f} s, patient stopped "
          f"{event['at']:.3f} s ({event['reaction_ms']} ms)")
    assert interrupt_at - 0.03 <= event["speech_at"] < interrupt_at + 0.4  # within a VAD frame of the clip
    assert event["reaction_ms"] <= 150
    assert reply.heard_seconds == pytest.approx(event["at"] - (interrupt_at - 1.0), abs=0.01)
    heard = rig.engine.history[-1].text
    assert heard.endswith("…")
    assert len(heard) < len(reply.reply_text)  # only what was heard stays in the conversation
    rig.engine.shutdown()


def test_push_to_talk_replies_on_release_without_an_endpoint_wait(engines: EngineSet) -> None:
    rig = Rig(engines, turn_mode=TurnMode.PUSH_TO_TALK)
    rig.engine.press()
    rig.feed(rig.speech("Hello Mr Qureshi, I'm Sam, the practice nurse."))
    rig.silence(3.0)  # silence while the key is held: no endpoint
    assert rig.record.turns == []
    rig.engine.release()
    assert len(rig.record.turns) == 1
    assert rig.record.turns[0].latency.endpoint_wait == 0.0
    rig.engine.shutdown()


def test_the_session_record_keeps_both_tracks_words_decisions_and_latency(engines: EngineSet, tmp_path: Path) -> None:
    rig = Rig(engines)
    rig.say("Hello Mr Qureshi, I'm Sam, the practice nurse.")
    rig.listen()
    rig.say("Can you tell me about your work?")
    rig.listen()
    rig.engine.end_early()
    rig.engine.shutdown()
    turn = rig.record.turns[1]
    assert [w.text.strip(",.?").lower() for w in turn.words][-2:] == ["your", "work"]
    pad = 0.2 + 0.001  # words are timed on the padded utterance audio (1 ms for rounding)
    assert turn.candidate_start - pad <= turn.words[0].start < turn.words[-1].end <= turn.candidate_end + pad
    assert turn.move_reason.startswith("the candidate asked about")
    assert turn.latency.endpoint_wait == pytest.approx(0.7, abs=0.06)
    assert turn.latency.response > turn.latency.endpoint_wait
    path = rig.record.write_bundle(tmp_path / "bundle")
    import json

    import soundfile

    data = json.loads(path.read_text())
    assert [t["move_kind"] for t in data["turns"]] == ["cue", "fact", "closing"]
    candidate, rate = soundfile.read(tmp_path / "bundle" / "candidate.wav")
    patient, patient_rate = soundfile.read(tmp_path / "bundle" / "patient.wav")
    assert rate == SAMPLE_RATE
    assert patient_rate == 22_050
    assert abs(candidate.size / rate - patient.size / patient_rate) < 15  # one timeline
    assert np.abs(patient).max() > 0.1
