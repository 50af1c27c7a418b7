"""The role-play engine: candidate audio in, the interlocutor's spoken reply out.

Audio blocks go through voice activity detection; each finished segment is transcribed at once (while the
candidate may still be talking); at the end of the turn the director picks the move, the realiser phrases
it sentence by sentence and each sentence is synthesised and queued for playback while the next is made.

Turn modes: half-duplex (default; the microphone is ignored while the patient speaks), barge-in (the
candidate can interrupt: playback stops and only what was heard stays in the conversation) and
push-to-talk (the turn is what is said between :meth:`press` and :meth:`release`).
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from oet_desktop.core.audio.types import SAMPLE_RATE, AudioOutput, Samples
from oet_desktop.core.practice.clock import Clock
from oet_desktop.core.practice.director import CandidateTurn, Director, Move, MoveKind
from oet_desktop.core.practice.realiser import Line, Realisation, Realiser
from oet_desktop.core.practice.record import SessionRecord, TurnLatency, TurnRecord
from oet_desktop.core.practice.session import Phase, PracticeSession
from oet_desktop.core.speech.stt import Transcriber, Transcript, Word
from oet_desktop.core.speech.vad import (
    SegmentEnded,
    SpeechStarted,
    StreamingVad,
    UtteranceDiscarded,
    UtteranceEnded,
    VadConfig,
)
from oet_desktop.core.tts.voice import Voice, split_sentences

log = logging.getLogger(__name__)

BUFFER_SECONDS = 90.0

PRACTICE_VAD = VadConfig(hangover_ms=200, endpoint_ms=700)
"""Turn-taking defaults. Endpoint 700 ms: in the real recording (jfk.flac) the longest pause inside the
sentence is 0.54 s as webrtcvad hears it, so 500 ms cuts the speaker off, 600 ms keeps the sentence with a
60 ms margin and 700 ms with 160 ms; each further 100 ms adds to every reply's latency. Segments close at a
200 ms pause so that their transcription (about 0.7 s on 2 cores, whatever the length) starts early."""


class TurnMode(StrEnum):
    """How the candidate and the interlocutor take turns."""

    HALF_DUPLEX = "half_duplex"
    BARGE_IN = "barge_in"
    PUSH_TO_TALK = "push_to_talk"
    TYPED = "typed"
    """The candidate types each turn (no microphone); the patient still answers aloud."""


@dataclass
class _Speaking:
    """The reply being played: when it started, how long it is, its sentences and their lengths."""

    start: float
    end: float
    sentences: list[tuple[str, float]]
    turn: TurnRecord


def _speech_parts(sentence: str, first: bool) -> list[str]:
    """A reply's first sentence is split at an early comma (the head plays sooner); others stay whole."""
    if first:
        head, comma, tail = sentence.partition(", ")
        if comma and len(head.split()) >= 3 and len(tail.split()) >= 3:
            return [head + ",", tail]
    return [sentence]


class RolePlayEngine:
    """Runs one role-play card. Feed it 16 kHz blocks with :meth:`on_audio` from one thread."""

    def __init__(
        self,
        session: PracticeSession,
        director: Director,
        realiser: Realiser,
        transcriber: Transcriber,
        voice: Voice,
        output: AudioOutput,
        clock: Clock,
        record: SessionRecord,
        vad_config: VadConfig | None = None,
        turn_mode: TurnMode = TurnMode.HALF_DUPLEX,
        keep_fillers: bool = True,
        vocabulary: str = "",
    ) -> None:
        self.session = session
        self.director = director
        self.realiser = realiser
        self.transcriber = transcriber
        self.voice = voice
        self.output = output
        self.clock = clock
        self.record = record
        self.vad_config = vad_config or PRACTICE_VAD
        self.turn_mode = turn_mode
        self.keep_fillers = keep_fillers
        self.vocabulary = vocabulary
        """The role-play's terms and names, given to the recogniser as hot words."""
        self.history: list[Line] = []
        self._stt = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stt")
        self._segments: list[tuple[float, Future[Transcript]]] = []
        self._word_timing: list[tuple[TurnRecord, float, Future[Transcript]]] = []
        self._buffer: deque[tuple[float, Samples]] = deque()
        self._vad = StreamingVad(self.vad_config)
        self._vad_origin: float | None = None
        self._speaking: _Speaking | None = None
        self._ptt_start: float | None = None
        self._voice_cache: dict[str, tuple[Samples, int]] = {}
        self._origin = 0.0
        self.finished = False
        self.thinking = False
        """True from the end of the candidate's turn until the reply starts playing (for the window)."""
        self.replying = False
        """True while the reply's sentences are still being synthesised and queued (it is being spoken)."""

    # --- timeline ------------------------------------------------------------------------------------
    def now(self) -> float:
        """Seconds since the role-play began."""
        return self.clock.now() - self._origin

    @property
    def busy_until(self) -> float:
        """When the interlocutor's current reply ends (timeline seconds)."""
        return self._speaking.end if self._speaking else self.now()

    @property
    def patient_speaking(self) -> bool:
        """Whether the interlocutor's reply is still playing (whose turn it is, for the window)."""
        speaking = self._speaking
        return speaking is not None and self.now() < speaking.end

    def start(self) -> None:
        """Begin the role-play (the candidate speaks first)."""
        if self.session.phase is Phase.PREPARING:
            self.session.start_role_play()
        self.warm_up()
        self._origin = self.clock.now()
        self._reset_vad()
        self.record.add_event(0.0, "role_play_started", scenario=self.session.scenario.id)

    def warm_up(self) -> None:
        """Run each engine once so the first reply does not pay for loading and first-call set-up, and
        synthesise the card's scripted lines (in exam mode this happens during the 3:00 preparation), so a
        scripted reply's audio is ready at once."""
        self.transcriber.transcribe(np.zeros(SAMPLE_RATE, dtype=np.float32), word_timestamps=False)
        for line in self.director.scripted_lines():
            for index, sentence in enumerate(split_sentences(line)):
                for part in _speech_parts(sentence, first=index == 0):
                    if part not in self._voice_cache:
                        spoken = list(self.voice.speak(part))
                        if spoken:
                            self._voice_cache[part] = (np.concatenate([s.samples for s in spoken]),
                                                       spoken[0].sample_rate)

    # --- audio in ------------------------------------------------------------------------------------
    def on_audio(self, block: Samples) -> None:
        """Consume one block of microphone audio (the block ends at the clock's current time)."""
        if self.finished:
            return
        end = self.now()
        start = end - block.size / SAMPLE_RATE
        self._remember(start, block)
        self.session.tick()
        if self.session.phase is Phase.CLOSING:
            self._close("time up")
            return
        speaking = self._speaking
        if speaking and start >= speaking.end:
            self._speaking = None
            speaking = None
            if self.turn_mode is TurnMode.HALF_DUPLEX:
                self._reset_vad()
        if self.turn_mode in (TurnMode.PUSH_TO_TALK, TurnMode.TYPED):
            return
        if speaking and self.turn_mode is TurnMode.HALF_DUPLEX:
            return  # the microphone is ignored while the patient speaks
        if self._vad_origin is None:
            self._vad_origin = start
        for event in self._vad.push(block):
            self._on_vad_event(event)

    def press(self) -> None:
        """Push-to-talk: the candidate starts speaking (interrupting the patient, if talking)."""
        if self._speaking:
            self._barge_in(self.now())
        self._ptt_start = self.now()

    def release(self) -> None:
        """Push-to-talk: the candidate has finished; reply at once (no endpoint wait)."""
        if self._ptt_start is None:
            return
        start, end = self._ptt_start, self.now()
        self._ptt_start = None
        audio = self._audio_between(start, end)
        if audio.size < SAMPLE_RATE * 0.2:
            return
        self._segments.append((start, self._submit(audio)))
        self._respond(start, end, detected_at=end)

    def type_turn(self, text: str) -> None:
        """The candidate typed a turn instead of speaking it: the patient replies at once (cutting their own
        reply short if it is still playing)."""
        if self.finished or not text.strip():
            return
        self.tick()
        if self.finished:
            return
        if self._speaking:
            if self.now() < self._speaking.end:
                self._barge_in(self.now())
            self._speaking = None
        at = self.now()
        self._respond(at, at, detected_at=at, typed=text.strip())

    def tick(self) -> None:
        """Advance the role-play's clock without audio (typed turns): closes it when time is up."""
        if self.finished:
            return
        self.session.tick()
        if self.session.phase is Phase.CLOSING:
            self._close("time up")

    def end_early(self) -> None:
        """The candidate ends the role-play: the interlocutor says the closing line."""
        if not self.finished and self.session.phase is Phase.ROLE_PLAY:
            self.session.end_role_play("ended early")
            self._close("ended early")

    # --- VAD -----------------------------------------------------------------------------------------
    def _reset_vad(self) -> None:
        """A fresh detector; its time starts with the next block it is given (a microphone can take seconds
        to deliver its first block, so the reset moment is not the audio's start)."""
        self._vad = StreamingVad(self.vad_config)
        self._vad_origin = None

    def _on_vad_event(self, event: object) -> None:
        origin = self._vad_origin or 0.0
        if isinstance(event, SpeechStarted):
            if self._speaking and self.turn_mode is TurnMode.BARGE_IN:
                self._barge_in(origin + event.time)
        elif isinstance(event, SegmentEnded):
            segment = event.segment
            pad = self.vad_config.padding_ms / 1000
            audio = self._audio_between(origin + segment.start - pad, origin + segment.end + pad)
            self._segments.append((origin + segment.start - pad, self._submit(audio)))
        elif isinstance(event, UtteranceDiscarded):
            self._segments.clear()
        elif isinstance(event, UtteranceEnded):
            utterance = event.utterance
            self._respond(origin + utterance.start, origin + utterance.end, detected_at=self.now())

    def _submit(self, audio: Samples, word_timestamps: bool = False) -> Future[Transcript]:
        """Transcribe on the worker. The hot path skips word timing (faster); the record gets the words
        with times from a second pass queued after the reply is under way."""
        context = " ".join(line.text for line in self.history[-2:] if line.speaker == "interlocutor")
        return self._stt.submit(self.transcriber.transcribe, audio, keep_fillers=self.keep_fillers,
                                context=context[-200:], word_timestamps=word_timestamps, vocabulary=self.vocabulary)

    # --- the reply -----------------------------------------------------------------------------------
    def _respond(self, start: float, end: float, detected_at: float, typed: str | None = None) -> None:
        self.thinking = True
        try:
            self._reply_to(start, end, detected_at, typed)
        finally:
            self.thinking = False

    def _reply_to(self, start: float, end: float, detected_at: float, typed: str | None) -> None:
        began = time.perf_counter()
        latency = TurnLatency(endpoint_wait=max(0.0, detected_at - end))
        text = typed if typed is not None else self._collect_transcript()
        latency.stt_wait = time.perf_counter() - began
        if not text.strip():
            log.info("turn %.2f-%.2f s had no recognisable words; no reply", start, end)
            return
        mark = time.perf_counter()
        left = self.session.time_left()
        move = self.director.decide(CandidateTurn(text, elapsed=end, time_left=left))
        latency.director = time.perf_counter() - mark
        self.history.append(Line("candidate", text))
        turn = TurnRecord(
            index=len(self.record.turns), candidate_text=text, candidate_start=round(start, 3),
            candidate_end=round(end, 3), words=[], move_kind=move.kind.value, move_ref=move.ref,
            move_reason=move.reason, reply_text="", reply_source="", reply_rejection=None, reply_start=0.0,
            reply_seconds=0.0, latency=latency, typed=typed is not None,
        )
        self.record.turns.append(turn)
        self._speak(move, turn, began, detected_at)
        if move.kind is MoveKind.CLOSING:  # the candidate said goodbye: the closing line has been said
            self.record.add_event(detected_at, "closing", reason=move.reason)
            if self.session.phase is Phase.ROLE_PLAY:
                self.session.end_role_play("the candidate closed")
                self.session.closing_said()
            self.finished = True
        if typed is not None:
            return  # no audio: nothing to time
        pad = self.vad_config.padding_ms / 1000
        offset = max(0.0, start - pad)
        self._word_timing.append((turn, offset, self._submit(self._audio_between(offset, end + pad), True)))

    def _collect_transcript(self) -> str:
        texts = [future.result().text for _, future in self._segments]
        self._segments.clear()
        return " ".join(t for t in texts if t).strip()

    def finish_word_timing(self) -> None:
        """Wait for the background word-timing passes and put the words (session times) in the record."""
        for turn, offset, future in self._word_timing:
            turn.words = [Word(w.text, round(offset + w.start, 3), round(offset + w.end, 3), w.probability)
                          for w in future.result().words]
        self._word_timing.clear()

    def _speak(self, move: Move, turn: TurnRecord, began: float, detected_at: float) -> None:
        self.replying = True
        try:
            self._say(move, turn, began, detected_at)
        finally:
            self.replying = False

    def _say(self, move: Move, turn: TurnRecord, began: float, detected_at: float) -> None:
        realisation = Realisation(move)
        mark = time.perf_counter()
        sentences: list[tuple[str, float]] = []
        reply_start: float | None = None
        played = 0.0
        for index, sentence in enumerate(self.realiser.realise(move, self.history, realisation)):
            if index == 0:
                turn.latency.first_sentence = time.perf_counter() - mark
                turn.latency.llm_first_token = realisation.llm_first_token_s
            sentence_seconds = 0.0
            for audio, rate, synthesis in self._synthesise(sentence, first=index == 0):
                play_began = time.perf_counter()
                self.output.play(audio, rate)
                if reply_start is None:
                    turn.latency.synthesis = synthesis
                    turn.latency.playback_start = time.perf_counter() - play_began
                    turn.latency.processing = time.perf_counter() - began
                    turn.latency.response = turn.latency.endpoint_wait + turn.latency.processing
                    reply_start = detected_at + turn.latency.processing
                    self.thinking = False
                self.record.patient_audio.append((reply_start + played, audio, rate))
                played += audio.size / rate
                sentence_seconds += audio.size / rate
            if sentence_seconds:
                sentences.append((sentence, sentence_seconds))
        turn.reply_text = realisation.text
        turn.reply_source = realisation.source
        turn.reply_rejection = realisation.rejection
        turn.reply_start = round(reply_start or detected_at, 3)
        turn.reply_seconds = round(played, 3)
        self.history.append(Line("interlocutor", realisation.text))
        self._speaking = _Speaking(turn.reply_start, turn.reply_start + turn.reply_seconds, sentences, turn)

    def _synthesise(self, sentence: str, first: bool) -> Iterator[tuple[Samples, int, float]]:
        """The sentence's audio as (samples, rate, seconds of synthesis) chunks: from the cache of scripted
        lines, or synthesised now (a reply's first sentence in two parts, so its head can play while the tail
        is synthesised)."""
        for part in _speech_parts(sentence, first):
            began = time.perf_counter()
            cached = self._voice_cache.get(part)
            if cached is not None:
                yield cached[0], cached[1], time.perf_counter() - began
                continue
            spoken = list(self.voice.speak(part))
            if spoken:
                audio = np.concatenate([s.samples for s in spoken])
                yield audio, spoken[0].sample_rate, time.perf_counter() - began

    def _barge_in(self, speech_at: float) -> None:
        """The candidate started speaking (at ``speech_at``) over the patient: stop the patient now."""
        speaking = self._speaking
        if speaking is None:
            return
        self.output.stop()
        stopped_at = self.now()
        heard = max(0.0, stopped_at - speaking.start)
        kept: list[str] = []
        elapsed = 0.0
        for sentence, seconds in speaking.sentences:
            if elapsed + seconds <= heard:
                kept.append(sentence)
            elif heard > elapsed:
                words = sentence.split()
                kept.append(" ".join(words[: max(1, int(len(words) * (heard - elapsed) / seconds))]) + "…")
            elapsed += seconds
        speaking.turn.heard_seconds = round(heard, 3)
        speaking.turn.heard_text = " ".join(kept)
        self.history[-1] = Line("interlocutor", speaking.turn.heard_text)  # only what was heard stays
        self._speaking = None
        self.record.add_event(stopped_at, "barge_in", speech_at=round(speech_at, 3),
                              reaction_ms=round((stopped_at - speech_at) * 1000), heard_seconds=round(heard, 3),
                              reply=speaking.turn.index)

    def _close(self, reason: str) -> None:
        if self.finished:
            return
        if self._speaking:
            self.output.wait(10)
        move = self.director.closing(reason)
        at = self.now()
        turn = TurnRecord(
            index=len(self.record.turns), candidate_text="", candidate_start=at, candidate_end=at, words=[],
            move_kind=move.kind.value, move_ref=move.ref, move_reason=move.reason, reply_text="",
            reply_source="", reply_rejection=None, reply_start=0.0, reply_seconds=0.0,
        )
        self.record.turns.append(turn)
        self._speak(move, turn, time.perf_counter(), at)
        self.record.add_event(at, "closing", reason=reason)
        if self.session.phase is Phase.CLOSING:
            self.session.closing_said()
        self.finished = True

    # --- audio buffer --------------------------------------------------------------------------------
    def _remember(self, start: float, block: Samples) -> None:
        self._buffer.append((start, block))
        self.record.candidate_audio.append((start, block))
        while self._buffer and self._buffer[0][0] < start - BUFFER_SECONDS:
            self._buffer.popleft()

    def _audio_between(self, start: float, end: float) -> Samples:
        pieces: list[Samples] = []
        for block_start, block in self._buffer:
            block_end = block_start + block.size / SAMPLE_RATE
            if block_end <= start or block_start >= end:
                continue
            lo = max(0, round((start - block_start) * SAMPLE_RATE))
            hi = min(block.size, round((end - block_start) * SAMPLE_RATE))
            pieces.append(block[lo:hi])
        return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)

    def shutdown(self) -> None:
        """Finish the word timing and stop the transcription worker."""
        self.finish_word_timing()
        self._stt.shutdown(wait=True)
