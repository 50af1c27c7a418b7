"""A live role-play: microphone blocks go from PortAudio's callback (which must never block) through a
queue to the engine on a worker thread."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from oet_desktop.core.audio.types import AudioInput, Samples
from oet_desktop.core.practice.engine import RolePlayEngine

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TypedTurn:
    """A turn the candidate typed."""

    text: str


class RolePlayWorker:
    """Runs ``engine`` on audio from ``microphone`` until :meth:`stop` (or the role-play finishes)."""

    def __init__(self, engine: RolePlayEngine, microphone: AudioInput,
                 after_turn: Callable[[], None] | None = None) -> None:
        self.engine = engine
        self.microphone = microphone
        self._after_turn = after_turn
        """Called on the worker after each new turn (e.g. to save the role-play as it goes)."""
        self._blocks: queue.Queue[Samples | str | TypedTurn] = queue.Queue()
        """Microphone blocks, the push-to-talk commands "press"/"release" and typed turns (so the worker runs
        them too, in order with the audio)."""
        self._stop = threading.Event()
        self._worker = threading.Thread(target=self._run, name="role-play", daemon=True)
        self.error: BaseException | None = None

    def start(self) -> None:
        """Open the microphone and begin (a microphone that fails to open leaves no thread behind)."""
        self.engine.start()
        self.microphone.start(self._blocks.put)
        self._worker.start()

    def press(self) -> None:
        """Push-to-talk pressed (handled on the worker, in order with the audio)."""
        self._blocks.put("press")

    def release(self) -> None:
        """Push-to-talk released: the reply is worked out on the worker, never on the caller's thread."""
        self._blocks.put("release")

    def type_turn(self, text: str) -> None:
        """A typed turn: the reply is worked out on the worker."""
        self._blocks.put(TypedTurn(text))

    def _run(self) -> None:
        try:
            while not self._stop.is_set() and not self.engine.finished:
                try:
                    block = self._blocks.get(timeout=0.1)
                except queue.Empty:
                    self.engine.tick()  # no audio (a typed role-play): time still runs out
                    continue
                turns = len(self.engine.record.turns)
                if isinstance(block, TypedTurn):
                    self.engine.type_turn(block.text)
                elif isinstance(block, str):
                    self.engine.press() if block == "press" else self.engine.release()
                else:
                    self.engine.on_audio(block)
                if self._after_turn is not None and len(self.engine.record.turns) != turns:
                    self._after_turn()
        except BaseException as exc:  # reported to the caller; the microphone is closed by stop()
            log.exception("role-play worker failed")
            self.error = exc

    def stop(self, end_role_play: bool = True) -> None:
        """Close the microphone; with ``end_role_play`` the interlocutor says the closing line first."""
        self.microphone.stop()
        self._stop.set()
        self._worker.join()
        if end_role_play:
            self.engine.end_early()
        self.engine.shutdown()
