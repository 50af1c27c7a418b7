"""Crash safety with the real SQLCipher: a process saving sessions is killed (SIGKILL) in the middle of its
saves, again and again; the database always opens, passes both integrity checks and holds every session whose
save had been committed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from oet_desktop.core.storage.database import integrity_problems, open_database
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.migrations import migrate
from oet_desktop.core.storage.repository import ProfileRepository

KEY = DatabaseKey(raw=bytes(range(32)))
REPO = Path(__file__).resolve().parents[2]
SAVER = """
import sys
import numpy as np
from pathlib import Path
from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.storage.database import open_database
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.migrations import migrate
from oet_desktop.core.storage.repository import ProfileRepository

connection = open_database(Path(sys.argv[1]), DatabaseKey(raw=bytes(range(32))), create=True)
migrate(connection)
repository = ProfileRepository(connection)
round_ = sys.argv[2]
for n in range(10_000):
    record = SessionRecord("nursing-catheter-care-home", "practice", "half_duplex", {})
    for i in range(8):
        record.turns.append(TurnRecord(i, "words " * 20, i * 10.0, i * 10.0 + 6, [], "fact", None, "r",
                                       "reply " * 15, "scripted", None, i * 10.0 + 7, 3.0))
        record.candidate_audio.append((i * 10.0, np.full(16_000 * 6, 0.05, dtype=np.float32)))
    repository.save_session(f"{round_}-{n}", record, "finished")
    print(f"{round_}-{n}", flush=True)  # printed only after the commit returned
"""


def test_killed_mid_save_the_database_keeps_every_committed_session(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    committed: list[str] = []
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for round_ in range(8):
        process = subprocess.Popen([sys.executable, "-c", SAVER, str(path), str(round_)], stdout=subprocess.PIPE,
                                   text=True, env=env)
        assert process.stdout is not None
        first = process.stdout.readline().strip()  # at least one save committed in this round
        assert first
        committed.append(first)
        time.sleep(0.05 + 0.037 * round_)  # a different point in the save cycle each round
        process.send_signal(signal.SIGKILL)
        rest, _ = process.communicate(timeout=30)
        committed += [line for line in rest.split() if line]
        assert process.returncode == -signal.SIGKILL
        connection = open_database(path, KEY)
        assert integrity_problems(connection) == [], f"round {round_}"
        saved = {row[0] for row in connection.execute("SELECT id FROM sessions")}
        assert set(committed) <= saved, f"round {round_}: lost {set(committed) - saved}"
        connection.close()
    print(f"{len(committed)} sessions committed over 8 kills; all present and both integrity checks clean")
    connection = open_database(path, KEY)
    migrate(connection)
    assert ProfileRepository(connection).session_count() >= len(committed)
