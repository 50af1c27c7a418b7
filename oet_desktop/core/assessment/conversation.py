"""What feedback is computed from: both sides' utterances on one timeline, the candidate's timed words and,
when it was recorded, the candidate's audio. Built from a live session record or a session bundle."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oet_desktop.core.audio.files import read_audio
from oet_desktop.core.audio.types import SAMPLE_RATE, Samples
from oet_desktop.core.content.scenario import Scenario
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.record import SessionRecord
from oet_desktop.core.speech.stt import Word

CANDIDATE = "candidate"
PATIENT = "patient"


@dataclass(frozen=True)
class Utterance:
    """One turn of one speaker; times are seconds on the session timeline."""

    speaker: str
    text: str
    start: float
    end: float
    turn: int | None = None
    words: tuple[Word, ...] = ()
    move_kind: str | None = None
    """For the patient: the director's move (fact, cue, clarify, closing…)."""

    @property
    def seconds(self) -> float:
        """How long the utterance lasted."""
        return max(0.0, self.end - self.start)


@dataclass
class Conversation:
    """A finished role-play as the assessment sees it."""

    session_id: str
    scenario: Scenario
    utterances: list[Utterance]
    candidate_audio: Samples | None = None
    """The candidate's 16 kHz track on the session timeline, or None when no audio was kept."""
    taken_at: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    typed: bool = False
    """The candidate typed the role-play: there is no speech to judge clarity or fluency from."""

    @property
    def candidate(self) -> list[Utterance]:
        """The candidate's utterances with words in them, in order."""
        return [u for u in self.utterances if u.speaker == CANDIDATE and u.text.strip()]

    @property
    def patient(self) -> list[Utterance]:
        """The interlocutor's utterances, in order."""
        return [u for u in self.utterances if u.speaker == PATIENT and u.text.strip()]

    @property
    def duration_s(self) -> float:
        """From the start of the timeline to the last thing said."""
        return max((u.end for u in self.utterances), default=0.0)

    @property
    def has_audio(self) -> bool:
        """True when the candidate's audio was recorded and is not silent."""
        return self.candidate_audio is not None and bool(np.any(np.abs(self.candidate_audio) > 1e-4))


def from_record(record: SessionRecord, scenario: Scenario, session_id: str,
                candidate_audio: Samples | None = None) -> Conversation:
    """A conversation from a session record; the candidate track is taken from the record unless given."""
    return _from_dict(record.as_dict(), scenario, session_id,
                      candidate_audio if candidate_audio is not None else _track_or_none(record))


def from_saved(data: dict[str, Any], scenario: Scenario, session_id: str,
               candidate_audio: Samples | None) -> Conversation:
    """A conversation from a saved session (the session-record JSON form) and its candidate track, if kept."""
    return _from_dict(data, scenario, session_id, candidate_audio)


def _track_or_none(record: SessionRecord) -> Samples | None:
    return record.track("candidate", SAMPLE_RATE) if record.candidate_audio else None


def load_bundle(folder: Path, scenarios: dict[str, Scenario]) -> Conversation:
    """A conversation from a session bundle folder (``session.json`` and, when present, ``candidate.wav``)."""
    path = folder / "session.json"
    if not path.is_file():
        raise UserFacingError(f"{folder} is not a session: it has no session.json.",
                              "Give the folder the practice command wrote (see `oet-desktop report --help`).")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise UserFacingError(f"{path} could not be read: {error}.", "The session file is damaged.") from error
    scenario_id = str(data.get("scenario", ""))
    if scenario_id not in scenarios:
        raise UserFacingError(f"{path} is a session of the role-play {scenario_id!r}, which is not installed.",
                              "Add the scenario file to your scenarios folder and try again.")
    audio_path = folder / "candidate.wav"
    audio = read_audio(audio_path) if audio_path.is_file() else None
    return _from_dict(data, scenarios[scenario_id], folder.name, audio)


def _from_dict(data: dict[str, Any], scenario: Scenario, session_id: str,
               candidate_audio: Samples | None) -> Conversation:
    utterances: list[Utterance] = []
    for turn in data.get("turns", []):
        index = int(turn["index"])
        if str(turn.get("candidate_text", "")).strip():
            words = tuple(Word(str(w["text"]), float(w["start"]), float(w["end"]), float(w["probability"]))
                          for w in turn.get("words", []))
            utterances.append(Utterance(CANDIDATE, str(turn["candidate_text"]), float(turn["candidate_start"]),
                                        float(turn["candidate_end"]), index, words))
        heard = turn.get("heard_seconds")
        said = str(turn.get("heard_text") if heard is not None and turn.get("heard_text") is not None
                   else turn.get("reply_text", ""))  # after a barge-in only what was heard was said
        if said.strip():
            seconds = float(heard if heard is not None else turn.get("reply_seconds", 0.0))
            start = float(turn.get("reply_start", 0.0))
            utterances.append(Utterance(PATIENT, said, start, start + seconds, index,
                                        move_kind=str(turn.get("move_kind") or "") or None))
    utterances.sort(key=lambda u: (u.start, u.speaker != CANDIDATE))
    spoken_or_typed = [t for t in data.get("turns", []) if str(t.get("candidate_text", "")).strip()]
    typed = data.get("turn_mode") == "typed" or (
        bool(spoken_or_typed) and all(t.get("typed") for t in spoken_or_typed))
    return Conversation(session_id, scenario, utterances, candidate_audio, data.get("started_at"),
                        list(data.get("events", [])), typed)
