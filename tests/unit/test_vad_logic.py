"""VAD state machine (segments, hangover, minimum speech, endpoint) with an energy detector stand-in."""

from __future__ import annotations

import numpy as np
import pytest

from oet_desktop.core.audio.types import SAMPLE_RATE
from oet_desktop.core.speech.vad import (
    SegmentEnded,
    SpeechStarted,
    StreamingVad,
    UtteranceEnded,
    VadConfig,
)


class EnergyDetector:
    """Voiced when the frame is louder than -30 dBFS (a stand-in for webrtcvad in logic tests)."""

    def is_speech(self, frame: bytes, sample_rate: int) -> bool:
        pcm = np.frombuffer(frame, dtype="<i2").astype(np.float64) / 32768
        return bool(np.sqrt(np.mean(pcm**2)) > 0.03)


def _signal(*parts: tuple[str, float]) -> np.ndarray:
    chunks = []
    for kind, seconds in parts:
        n = int(seconds * SAMPLE_RATE)
        t = np.arange(n) / SAMPLE_RATE
        chunks.append(0.3 * np.sin(2 * np.pi * 300 * t) if kind == "tone" else np.zeros(n))
    return np.concatenate(chunks).astype(np.float32)


def _run(signal: np.ndarray, config: VadConfig, block: int = 480) -> list:
    vad = StreamingVad(config, EnergyDetector())
    events = []
    for i in range(0, signal.size, block):
        events.extend(vad.push(signal[i : i + block]))
    return events + vad.flush()


def test_short_gaps_are_bridged_and_a_long_pause_ends_the_utterance() -> None:
    signal = _signal(("sil", 0.51), ("tone", 0.99), ("sil", 0.21), ("tone", 0.51), ("sil", 0.99), ("tone", 0.81),
                     ("sil", 0.6))
    events = _run(signal, VadConfig(hangover_ms=300, endpoint_ms=700))
    utterances = [e.utterance for e in events if isinstance(e, UtteranceEnded)]
    assert len(utterances) == 2
    first, second = utterances
    assert first.start == pytest.approx(0.51, abs=0.04)
    assert first.end == pytest.approx(2.22, abs=0.04)
    assert len(first.segments) == 1  # the 0.2 s gap is inside the hangover
    assert second.start == pytest.approx(3.21, abs=0.04)
    assert second.end == pytest.approx(4.02, abs=0.04)
    assert [type(e).__name__ for e in events].count("SpeechStarted") == 2


def test_a_pause_between_hangover_and_endpoint_splits_segments_not_the_utterance() -> None:
    signal = _signal(("sil", 0.3), ("tone", 0.6), ("sil", 0.45), ("tone", 0.6), ("sil", 1.0))
    events = _run(signal, VadConfig(hangover_ms=300, endpoint_ms=700))
    assert sum(isinstance(e, SegmentEnded) for e in events) == 2
    utterances = [e.utterance for e in events if isinstance(e, UtteranceEnded)]
    assert len(utterances) == 1
    assert len(utterances[0].segments) == 2


def test_clicks_shorter_than_minimum_speech_are_dropped_and_announced() -> None:
    signal = _signal(("sil", 0.3), ("tone", 0.09), ("sil", 1.0), ("tone", 0.6), ("sil", 1.0))
    events = _run(signal, VadConfig(min_speech_ms=200))
    utterances = [e.utterance for e in events if isinstance(e, UtteranceEnded)]
    assert len(utterances) == 1
    assert utterances[0].start == pytest.approx(1.39, abs=0.04)
    # the click did start "speech", so listeners are told it was discarded
    assert [type(e).__name__ for e in events][:3] == ["SpeechStarted", "SegmentEnded", "UtteranceDiscarded"]


def test_end_of_stream_closes_the_open_segment_and_utterance() -> None:
    events = _run(_signal(("sil", 0.3), ("tone", 0.6)), VadConfig())
    assert [type(e).__name__ for e in events] == ["SpeechStarted", "SegmentEnded", "UtteranceEnded"]


def test_endpoint_window_is_configurable() -> None:
    signal = _signal(("sil", 0.3), ("tone", 0.6), ("sil", 0.9), ("tone", 0.6), ("sil", 1.5))
    assert len([e for e in _run(signal, VadConfig(endpoint_ms=700)) if isinstance(e, UtteranceEnded)]) == 2
    assert len([e for e in _run(signal, VadConfig(endpoint_ms=1200)) if isinstance(e, UtteranceEnded)]) == 1


def test_utterance_audio_includes_padding_around_the_voiced_span() -> None:
    signal = _signal(("sil", 1.0), ("tone", 0.6), ("sil", 1.0))
    (event,) = [e for e in _run(signal, VadConfig(padding_ms=200)) if isinstance(e, UtteranceEnded)]
    utterance = event.utterance
    assert utterance.samples_start == pytest.approx(utterance.start - 0.2, abs=0.031)
    assert utterance.samples.size / SAMPLE_RATE == pytest.approx(0.6 + 0.4, abs=0.07)


def test_speech_start_is_reported_while_the_candidate_is_still_talking() -> None:
    vad = StreamingVad(VadConfig(), EnergyDetector())
    events = vad.push(_signal(("sil", 0.3), ("tone", 0.3)))
    assert any(isinstance(e, SpeechStarted) for e in events)
    assert vad.in_speech


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="aggressiveness"):
        VadConfig(aggressiveness=5)
    with pytest.raises(ValueError, match="frame"):
        VadConfig(frame_ms=25)
