"""What a role-play leaves behind: both audio tracks, the timed transcript, every decision and its reason,
and the latency of every turn with its stage breakdown. Written as a bundle (JSON + WAVs)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from oet_desktop.core.audio.files import write_wav
from oet_desktop.core.audio.types import SAMPLE_RATE, VOICE_SAMPLE_RATE, Samples, Track
from oet_desktop.core.speech.stt import Word


@dataclass
class TurnLatency:
    """Seconds for each stage of one reply.

    ``endpoint_wait``: last voiced frame → end of turn detected (the endpoint window); ``stt_wait``: end of
    turn → transcript ready (segments finished earlier were transcribed during the wait); ``director``;
    ``llm_first_token`` (None when the line was scripted); ``first_sentence``: move decided → first sentence
    text ready; ``synthesis``: first sentence synthesised; ``playback_start``: handed to the speaker.
    ``processing`` = end of turn → playback; ``response`` = last voiced frame → first reply audio.
    """

    endpoint_wait: float = 0.0
    stt_wait: float = 0.0
    director: float = 0.0
    llm_first_token: float | None = None
    first_sentence: float = 0.0
    synthesis: float = 0.0
    playback_start: float = 0.0
    processing: float = 0.0
    response: float = 0.0


@dataclass
class TurnRecord:
    """One exchange: the candidate's utterance and the interlocutor's reply."""

    index: int
    candidate_text: str
    candidate_start: float
    candidate_end: float
    words: list[Word]
    move_kind: str
    move_ref: str | None
    move_reason: str
    reply_text: str
    reply_source: str
    reply_rejection: str | None
    reply_start: float
    reply_seconds: float
    heard_seconds: float | None = None
    """With barge-in: how much of the reply was played before the candidate cut in."""
    heard_text: str | None = None
    """With barge-in: the part of the reply the candidate heard (the rest was never said)."""
    latency: TurnLatency = field(default_factory=TurnLatency)
    typed: bool = False
    """The candidate typed this turn rather than speaking it."""


@dataclass
class SessionRecord:
    """A whole role-play; times are seconds on the session's timeline."""

    scenario_id: str
    mode: str
    turn_mode: str
    models: dict[str, str]
    turns: list[TurnRecord] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    candidate_audio: list[tuple[float, Samples]] = field(default_factory=list)
    patient_audio: list[tuple[float, Samples, int]] = field(default_factory=list)
    started_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    """When the role-play began (ISO 8601, UTC)."""

    def add_event(self, at: float, kind: str, **details: Any) -> None:
        """A timeline entry (phase changes, barge-in, closing)."""
        self.events.append({"at": round(at, 3), "kind": kind, **details})

    def final_status(self) -> str:
        """How the role-play ended, as the store records it: "ended_early" when the candidate ended it before
        the closing, otherwise "finished"."""
        ended_early = any(e.get("kind") == "closing" and e.get("reason") == "ended early" for e in self.events)
        return "ended_early" if ended_early else "finished"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (audio is written separately)."""
        return {
            "format": 1, "scenario": self.scenario_id, "started_at": self.started_at, "mode": self.mode,
            "turn_mode": self.turn_mode, "models": self.models, "events": self.events,
            "turns": [asdict(turn) for turn in self.turns],
        }

    def track(self, which: str, rate: int) -> Samples:
        """One side's audio laid on the session timeline at ``rate``."""
        from oet_desktop.core.audio.files import resample

        pieces = ([(t, a, SAMPLE_RATE) for t, a in self.candidate_audio] if which == "candidate"
                  else self.patient_audio)
        if not pieces:
            return np.zeros(0, dtype=np.float32)
        placed = [(int(t * rate), resample(a, r, rate)) for t, a, r in pieces]
        out = np.zeros(max(start + a.size for start, a in placed), dtype=np.float32)
        for start, audio in placed:
            out[start : start + audio.size] += audio
        return out

    def write_bundle(self, folder: Path) -> Path:
        """``session.json``, ``candidate.wav`` (16 kHz) and ``patient.wav`` (22.05 kHz) in ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        write_wav(folder / "candidate.wav", self.track("candidate", SAMPLE_RATE), SAMPLE_RATE)
        write_wav(folder / "patient.wav", self.track(Track.PATIENT, VOICE_SAMPLE_RATE), VOICE_SAMPLE_RATE)
        path = folder / "session.json"
        path.write_text(json.dumps(self.as_dict(), indent=2, default=_json_default) + "\n", encoding="utf-8")
        return path


def _json_default(value: Any) -> Any:
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"not serialisable: {type(value).__name__}")
