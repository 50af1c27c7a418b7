"""A profile saved by every earlier schema version (committed fixtures in tests/fixtures/storage) migrates to
the current schema on the real SQLCipher with its data intact."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from oet_desktop.core.storage.database import integrity_problems, open_database
from oet_desktop.core.storage.keys import DatabaseKey
from oet_desktop.core.storage.migrations import MIGRATIONS, schema_version
from oet_desktop.core.storage.repository import Profile
from oet_desktop.core.storage.worker import StorageThread
from tests.fixtures.storage.make_v1_fixture import SESSIONS, V1_PASSPHRASE
from tests.fixtures.storage.make_v2_fixture import V2_PASSPHRASE
from tests.report_samples import sample_feedback_report

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "storage"
PASSPHRASES = {1: V1_PASSPHRASE, 2: V2_PASSPHRASE}


def _fixtures() -> dict[int, Path]:
    found = {int(m.group(1)): p for p in FIXTURES.glob("profile-v*.db") if (m := re.match(r"profile-v(\d+)", p.name))}
    return dict(sorted(found.items()))


def test_there_is_a_fixture_for_every_earlier_schema_version() -> None:
    latest = MIGRATIONS[-1].version
    assert sorted(_fixtures()) == list(range(1, latest)), \
        "a new migration needs a committed fixture of the schema before it (see make_v1_fixture.py)"


@pytest.mark.parametrize("version", sorted(_fixtures()))
def test_an_earlier_database_migrates_with_its_data(tmp_path: Path, version: int) -> None:
    path = tmp_path / "profile.db"
    shutil.copy(_fixtures()[version], path)
    key = DatabaseKey(passphrase=PASSPHRASES[version])
    raw = open_database(path, key)
    assert schema_version(raw) == version
    raw.close()
    storage = StorageThread(path, key)  # migrates on open
    try:
        assert storage.call(lambda repo: repo._db.execute("PRAGMA user_version").fetchone()[0]) == \
            MIGRATIONS[-1].version
        assert storage.call(lambda repo: integrity_problems(repo._db)) == []
        assert storage.call(lambda repo: repo.profile()) == Profile("Amira Haddad", "nursing",
                                                                     "2026-11-03T08:00:00.000+00:00")
        assert storage.call(lambda repo: repo.setting("endpoint_ms")) == 700
        report = sample_feedback_report()
        listing = storage.call(lambda repo: repo.list_sessions())
        assert [s.session_id for s in listing] == list(reversed(SESSIONS))
        for session in listing:
            assert session.scores == {c.criterion.value: c.score for c in report.criteria}
            assert session.estimate == (report.estimate.score if report.estimate else None)
            assert storage.call(lambda repo, s=session.session_id: repo.load_feedback(s)) == report
        for number, session_id in enumerate(SESSIONS):
            saved = storage.call(lambda repo, s=session_id: repo.load_session(s))
            assert saved is not None
            assert saved.status == "finished"
            assert [t["reply_text"] for t in saved.data["turns"]] == ["Answer 0", "Answer 1", "Answer 2"]
            candidate = storage.call(lambda repo, s=session_id: repo.track(s, "candidate", 16_000))
            t = np.arange(32_000) / 16_000
            expected = np.round(0.2 * np.sin(2 * np.pi * (220.0 + 10 * number) * t) * 32767)
            assert candidate.size == 32_000
            assert np.max(np.abs(candidate.astype(np.int32) - expected)) <= 1  # the same samples, 16-bit
            patient = storage.call(lambda repo, s=session_id: repo.track(s, "patient", 22_050))
            assert patient.size == round(1.5 * 22_050)
        assert storage.call(lambda repo: repo.pending_changes()) == 2
        practised = set(storage.call(lambda repo: repo.practised()))
        assert practised == {"nursing-catheter-care-home", "pharmacy-apixaban-discharge"}
    finally:
        storage.close()
