"""Benchmark: how long scoring a 5-minute role-play takes (measures, scores, estimate; no model narrative)."""

from __future__ import annotations

import itertools
import platform
import statistics
import time
from typing import Any

import numpy as np

from oet_desktop.core.assessment.conversation import CANDIDATE, PATIENT, Conversation, Utterance
from oet_desktop.core.assessment.feedback import Assessor
from oet_desktop.core.audio.files import resample
from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.practice.headless import demo_turns
from oet_desktop.core.speech.stt import Transcriber, Word
from oet_desktop.core.tts.voice import PiperVoiceEngine

ROLE_PLAY_S = 300.0
PATIENT_WORDS_PER_S = 2.6


def five_minute_conversation(scenario: Scenario, voice: PiperVoiceEngine, transcriber: Transcriber) -> Conversation:
    """A 5-minute role-play: the demo candidate's turns and every task probe, spoken by the voice and
    transcribed with word timing, answered by the card's facts, until the timeline reaches 5 minutes."""
    lines = demo_turns(scenario)[:-1] + [p for t in scenario.candidate.tasks for p in t.probes]
    replies = itertools.cycle([f.say for f in scenario.interlocutor.facts] or ["I see."])
    utterances: list[Utterance] = []
    track: list[tuple[float, np.ndarray]] = []
    now = 0.5
    for index, text in enumerate(itertools.cycle(lines)):
        if now >= ROLE_PLAY_S:
            break
        audio, rate = voice.speak_all(text)
        clip = resample(audio, rate, SAMPLE_RATE)
        heard = transcriber.transcribe(clip, keep_fillers=True, word_timestamps=True)
        end = now + clip.size / SAMPLE_RATE
        words = tuple(Word(w.text, round(now + w.start, 3), round(now + w.end, 3), w.probability)
                      for w in heard.words)
        utterances.append(Utterance(CANDIDATE, heard.text, round(now, 3), round(end, 3), index, words))
        track.append((now, clip))
        reply = next(replies)
        start = end + 0.6
        utterances.append(Utterance(PATIENT, reply, round(start, 3),
                                    round(start + len(reply.split()) / PATIENT_WORDS_PER_S, 3), index))
        now = utterances[-1].end + 0.6
    audio_track = np.zeros(int((now + 1) * SAMPLE_RATE), dtype=np.float32)
    for start_s, clip in track:
        offset = int(start_s * SAMPLE_RATE)
        audio_track[offset : offset + clip.size] = clip
    return Conversation("bench-5min", scenario, utterances, audio_track, None)


def run_feedback_benchmark(assessor: Assessor, conversation: Conversation, runs: int = 5) -> dict[str, Any]:
    """Score the conversation once cold (syllable cache and phonemiser fresh) and ``runs`` times warm, and report
    the timings. The embedder is loaded first and timed apart: after a role-play it is already loaded."""
    began = time.perf_counter()
    assessor.embedder.embed(["load the sentence embedder"])
    embedder_load = time.perf_counter() - began
    began = time.perf_counter()
    assessor.assess(conversation)
    first = time.perf_counter() - began
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        report = assessor.assess(conversation)
        times.append(time.perf_counter() - began)
    return {
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "role_play_s": round(conversation.duration_s, 1),
        "candidate_turns": len(conversation.candidate),
        "candidate_words": int(report.measures.get("candidate_words") or 0),
        "embedder_load_s": round(embedder_load, 3),
        "first_run_s": round(first, 3),
        "runs": runs,
        "seconds": [round(t, 3) for t in times],
        "median_s": round(statistics.median(times), 3),
        "max_s": round(max(times), 3),
        "target_s": 2.0,
    }
