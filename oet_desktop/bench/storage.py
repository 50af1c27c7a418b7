"""The storage benchmark: open with a keyring (raw) key, save a 5-minute role-play with both audio tracks, and
list 1,000 sessions with their scores, on the real SQLCipher in a scratch folder."""

from __future__ import annotations

import platform
import statistics
import time
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.types import SAMPLE_RATE, VOICE_SAMPLE_RATE
from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.speech.stt import Word
from oet_desktop.core.storage.database import NEW_PAGE_SIZE
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.repository import ProfileRepository
from oet_desktop.core.storage.worker import StorageThread

ROLE_PLAY_S = 300.0
TURNS = 24
BLOCK_S = 0.03


def five_minute_record(seed: int = 0) -> SessionRecord:
    """A 5-minute role-play as the engine leaves it: the microphone's 30 ms blocks for the whole 300 s, the
    patient's synthesised sentences (about 45% of the time), and 24 turns with timed words."""
    rng = np.random.default_rng(seed)
    record = SessionRecord("nursing-insulin-start-driver", "practice", "half_duplex", {"stt": "whisper-base.en"},
                           started_at=f"2026-11-26T09:{seed % 60:02d}:00+00:00")
    block = int(BLOCK_S * SAMPLE_RATE)
    for n in range(int(ROLE_PLAY_S / BLOCK_S)):
        record.candidate_audio.append((n * BLOCK_S, (0.03 * rng.standard_normal(block)).astype(np.float32)))
    turn_s = ROLE_PLAY_S / TURNS
    for index in range(TURNS):
        start = index * turn_s
        words = [Word(f"word{w}", start + 0.3 * w, start + 0.3 * w + 0.25, 0.9) for w in range(18)]
        record.turns.append(TurnRecord(index, " ".join(w.text for w in words), start, start + 5.5, words, "fact",
                                       f"fact-{index}", "asked about it", "A reply of some twenty words " * 2,
                                       "scripted", None, start + 6.2, 5.6))
        for sentence in range(2):
            audio = (0.1 * rng.standard_normal(int(2.8 * VOICE_SAMPLE_RATE))).astype(np.float32)
            record.patient_audio.append((start + 6.2 + 2.8 * sentence, audio, VOICE_SAMPLE_RATE))
    return record


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def run_storage_benchmark(folder: Path, report: FeedbackReport, runs: int = 5, sessions: int = 1000) -> dict[str, Any]:
    """Time the three figures the store promises; ``folder`` is a scratch folder (its database is left there)."""
    path = folder / "bench.db"
    key = DatabaseKey(raw=bytes(range(32)))
    StorageThread(path, key, create=True, page_size=NEW_PAGE_SIZE).close()
    opens = []
    for _ in range(runs):
        began = time.perf_counter()
        storage = StorageThread(path, key, page_size=NEW_PAGE_SIZE)
        opens.append(time.perf_counter() - began)
        storage.close()

    storage = StorageThread(path, key, page_size=NEW_PAGE_SIZE)
    saves, finishes, checkpoints = [], [], []
    record = five_minute_record()
    for run in range(runs):
        began = time.perf_counter()
        storage.call(partial(ProfileRepository.save_session, session_id=f"whole-{run}", record=record,
                             status="finished"))
        saves.append(time.perf_counter() - began)
    for run in range(runs):  # the same role-play saved as it goes: a checkpoint per turn, then the final save
        growing = replace(five_minute_record(run), turns=[], candidate_audio=[], patient_audio=[])
        journal = SessionJournal(storage, f"journal-{run}", growing)
        full = five_minute_record(run)
        per_turn = len(full.candidate_audio) // TURNS
        for index in range(TURNS):
            growing.turns.append(full.turns[index])
            growing.candidate_audio.extend(full.candidate_audio[index * per_turn:(index + 1) * per_turn])
            growing.patient_audio.extend(full.patient_audio[2 * index:2 * index + 2])
            began = time.perf_counter()
            journal.checkpoint()
            checkpoints.append(time.perf_counter() - began)  # the role-play's wait (the write is on the thread)
        began = time.perf_counter()
        journal.finish("finished")
        finishes.append(time.perf_counter() - began)

    light = replace(five_minute_record(), candidate_audio=[], patient_audio=[])
    for n in range(sessions - storage.call(lambda repo: repo.session_count())):
        session_id = f"history-{n:04d}"
        storage.call(partial(ProfileRepository.save_session, session_id=session_id, record=light,
                             status="finished", with_audio=False))
        storage.call(partial(ProfileRepository.save_feedback, session_id=session_id, report=report))
    storage.close()
    storage = StorageThread(path, key, page_size=NEW_PAGE_SIZE)
    lists = []
    for _ in range(runs * 4):
        began = time.perf_counter()
        listing = storage.call(lambda repo: repo.list_sessions())
        lists.append(time.perf_counter() - began)
    if len(listing) < sessions or any(len(s.scores) != 9 for s in listing if s.session_id.startswith("history")):
        raise RuntimeError("the history listing did not return every session with its nine scores")
    storage.close()
    return {
        "machine": {"cpu": platform.processor() or platform.machine(), "python": platform.python_version()},
        "database_mb": round(path.stat().st_size / 1e6, 1),
        "open_raw_key_ms": {"median": _ms(statistics.median(opens)), "max": _ms(max(opens)), "target": 50},
        "save_5min_session_ms": {"median": _ms(statistics.median(saves)), "max": _ms(max(saves)), "target": 300,
                                 "audio_seconds": {"candidate": ROLE_PLAY_S,
                                                   "patient": round(TURNS * 2 * 2.8, 1)}},
        "save_as_it_goes_ms": {"checkpoint_wait_median": _ms(statistics.median(checkpoints)),
                               "checkpoint_wait_max": _ms(max(checkpoints)),
                               "final_save_median": _ms(statistics.median(finishes)),
                               "final_save_max": _ms(max(finishes))},
        "list_sessions_ms": {"sessions": len(listing), "first": _ms(lists[0]), "median": _ms(statistics.median(lists)),
                             "max": _ms(max(lists)), "target": 50},
    }
