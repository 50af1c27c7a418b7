"""A role-play that could not be saved as "interrupted" leaves a warning in the log, whatever the caller does
with the error (the CLI keeps the first error to show and drops this one)."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.storage.database import StorageError
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.repository import ProfileRepository
from oet_desktop.core.storage.worker import StorageThread

KEY = DatabaseKey(raw=bytes(range(32)))
JOURNAL_LOG = "oet_desktop.core.storage.journal"


def _record() -> SessionRecord:
    record = SessionRecord("nursing-catheter-care-home", "practice", "half_duplex", {"stt": "whisper-tiny.en"},
                           started_at="2026-11-26T09:00:00+00:00")
    record.turns.append(TurnRecord(0, "hello", 0.0, 2.0, [], "fact", None, "asked", "hi", "scripted", None, 3.0,
                                   1.0))
    record.candidate_audio.append((0.0, np.full(16_000, 0.1, dtype=np.float32)))
    return record


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == JOURNAL_LOG and r.levelno == logging.WARNING]


def test_an_interrupted_save_after_the_storage_closed_is_logged(tmp_path: Path,
                                                                caplog: pytest.LogCaptureFixture) -> None:
    storage = StorageThread(tmp_path / "profile.db", KEY, create=True)
    journal = SessionJournal(storage, "s-closed", _record())
    storage.close()  # e.g. the window closed the profile while the role-play was failing
    with caplog.at_level(logging.WARNING, logger=JOURNAL_LOG), pytest.raises(RuntimeError) as raised:
        journal.finish("interrupted")
    messages = _warnings(caplog)
    assert any("s-closed" in m and "interrupted" in m and str(raised.value) in m for m in messages), messages


def test_an_interrupted_save_that_fails_on_disk_is_logged_with_its_status(
        tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    storage = StorageThread(tmp_path / "profile.db", KEY, create=True)
    try:
        def full(self: ProfileRepository, snapshot: object) -> None:
            raise StorageError("The disk is full.", "Free some space.")

        monkeypatch.setattr(ProfileRepository, "save_snapshot", full)
        journal = SessionJournal(storage, "s-full", _record())
        with caplog.at_level(logging.WARNING, logger=JOURNAL_LOG), pytest.raises(StorageError):
            journal.finish("interrupted")
        messages = _warnings(caplog)
        assert any("s-full" in m and "interrupted" in m and "disk is full" in m for m in messages), messages
    finally:
        storage.close()


def test_a_successful_interrupted_save_logs_no_warning(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    storage = StorageThread(tmp_path / "profile.db", KEY, create=True)
    try:
        journal = SessionJournal(storage, "s-ok", _record())
        with caplog.at_level(logging.WARNING, logger=JOURNAL_LOG):
            journal.finish("interrupted")
        assert _warnings(caplog) == []
        saved = storage.call(lambda repo: repo.load_session("s-ok"))
        assert saved is not None
        assert saved.status == "interrupted"
    finally:
        storage.close()
