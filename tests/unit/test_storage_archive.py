"""Export everything → erase everything → import restores the same records (real SQLCipher, real PDFs, real
WAV files); a bad archive is refused with a clear message and changes nothing."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import keyring
import numpy as np
import pytest
import soundfile
from pypdf import PdfReader

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.practice.record import SessionRecord, TurnRecord
from oet_desktop.core.reports.session_pdf import write_session_pdf
from oet_desktop.core.storage.archive import export_archive, import_archive
from oet_desktop.core.storage.journal import SessionJournal
from oet_desktop.core.storage.keys import KeyringKeys
from oet_desktop.core.storage.profile import KeySource, ProfileLocation, create_profile, erase_profile
from oet_desktop.core.storage.repository import RETENTION_SETTING, Profile
from oet_desktop.core.storage.worker import StorageThread
from tests.keyring_backend import MemoryKeyring
from tests.report_samples import sample_feedback_report

OWNER = Profile("Amira Haddad", "nursing")
TRACKS = (("candidate", 16_000), ("patient", 22_050))


@pytest.fixture
def keys(memory_keyring: MemoryKeyring) -> KeySource:
    return KeySource(KeyringKeys(keyring), {})


def _record(scenario: str, day: int, turns: int) -> SessionRecord:
    rng = np.random.default_rng(day)
    record = SessionRecord(scenario, "practice", "half_duplex", {"stt": "whisper-tiny.en"},
                           started_at=f"2026-11-{day:02d}T09:00:00+00:00")
    for index in range(turns):
        record.turns.append(TurnRecord(index, f"Tell me about the bruising, turn {index}", index * 8.0,
                                       index * 8.0 + 3.0, [], "fact", None, "asked", f"It started {index} days ago",
                                       "scripted", None, index * 8.0 + 4.0, 2.0))
        for block in range(100):  # microphone blocks of 30 ms, one after another
            record.candidate_audio.append((index * 8.0 + block * 0.03,
                                           (0.05 * rng.standard_normal(480)).astype(np.float32)))
        record.patient_audio.append((index * 8.0 + 4.0, (0.1 * rng.standard_normal(44_100)).astype(np.float32),
                                     22_050))
    return record


def _snapshot(storage: StorageThread) -> tuple[dict[str, list[dict[str, object]]], dict[tuple[str, str], bytes]]:
    tables = storage.call(lambda repo: repo.dump_tables())
    audio = {}
    for row in tables["sessions"]:
        for track, rate in TRACKS:
            pcm = storage.call(lambda repo, s=row["id"], t=track, r=rate: repo.track(s, t, r))
            if pcm is not None:
                audio[(str(row["id"]), track)] = pcm.tobytes()
    return tables, audio


def _fill(storage: StorageThread) -> None:
    report = sample_feedback_report()
    for number, (scenario, day) in enumerate((("nursing-catheter-care-home", 3), ("pharmacy-apixaban-discharge", 9),
                                              ("medicine-statin-reluctant-patient", 20))):
        record = _record(scenario, day, 3 + number)
        journal = SessionJournal(storage, f"202611{day:02d}-090000-{scenario}", record)
        journal.checkpoint()
        journal.finish("finished" if number != 1 else "ended_early")
        if number < 2:
            storage.call(lambda repo, s=journal.session_id: repo.save_feedback(s, report))
    storage.call(lambda repo: repo.save_setting(RETENTION_SETTING, 90))
    storage.call(lambda repo: repo.save_setting("endpoint_ms", 700))


def test_export_erase_import_restores_the_same_records(tmp_path: Path, keys: KeySource) -> None:
    location = ProfileLocation.in_data_dir(tmp_path / "data")
    storage = create_profile(location, keys, OWNER)
    _fill(storage)
    before_tables, before_audio = _snapshot(storage)
    archive_path = tmp_path / "export" / "everything.zip"
    summary = export_archive(storage, archive_path, lambda report, path: write_session_pdf(report, path))
    storage.close()
    assert (summary.sessions, summary.audio_files, summary.reports) == (3, 6, 2)
    with zipfile.ZipFile(archive_path) as archive:
        names = set(archive.namelist())
        assert {"manifest.json", "records.json"} <= names
        session = "20261103-090000-nursing-catheter-care-home"
        with archive.open(f"audio/{session}/candidate.wav") as wav:
            info = soundfile.info(wav)
        assert (info.samplerate, info.channels, info.subtype) == (16_000, 1, "PCM_16")
        (tmp_path / "r.pdf").write_bytes(archive.read(f"reports/{session}.pdf"))
        assert "Estimated score" in PdfReader(tmp_path / "r.pdf").pages[0].extract_text()
        records = json.loads(archive.read("records.json"))
        assert records["turns"][0]["data"]
    erase_profile(location, keys.keyring)
    assert not location.folder.exists()
    assert keys.keyring.get(location.name) is None

    storage = create_profile(location, keys, Profile("placeholder", "medicine"))
    try:
        assert import_archive(storage, archive_path) == 3
        after_tables, after_audio = _snapshot(storage)
        assert after_audio == before_audio  # every sample of both sides of every session
        outbox_after = after_tables.pop("outbox")
        outbox_before = before_tables.pop("outbox")
        assert after_tables == before_tables  # profile, settings, sessions, turns, feedback, scores, progress
        kept = {row["idempotency_key"] for row in outbox_after}
        assert {row["idempotency_key"] for row in outbox_before} <= kept  # unsynced changes stay queued
        assert import_archive(storage, archive_path) == 0  # importing again adds nothing twice
        assert storage.call(lambda repo: repo.session_count()) == 3
    finally:
        storage.close()


def test_a_bad_archive_is_refused_and_changes_nothing(tmp_path: Path, keys: KeySource) -> None:
    location = ProfileLocation.in_data_dir(tmp_path / "data")
    storage = create_profile(location, keys, OWNER)
    _fill(storage)
    good = tmp_path / "good.zip"
    export_archive(storage, good)
    before = _snapshot(storage)
    not_zip = tmp_path / "notes.zip"
    not_zip.write_text("my notes")
    damaged = tmp_path / "damaged.zip"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.namelist():
            data = source.read(item)
            if item.endswith("patient.wav"):
                data = data[:20]  # a cut-off WAV: the import fails after the records went in
            target.writestr(item, data)
    newer = tmp_path / "newer.zip"
    with zipfile.ZipFile(newer, "w") as target:
        target.writestr("manifest.json", json.dumps({"format": 1, "schema": 99}))
        target.writestr("records.json", "{}")
    try:
        storage.call(lambda repo: repo._db.execute("DELETE FROM sessions WHERE id LIKE '%statin%'"))
        before = _snapshot(storage)
        for path, message in ((not_zip, "it is not a ZIP file"), (damaged, "is missing or damaged"),
                              (newer, "exported by a newer version"), (tmp_path / "none.zip", "There is no file")):
            with pytest.raises(UserFacingError, match=message) as caught:
                import_archive(storage, path)
            assert str(path) in caught.value.paragraph()
            assert _snapshot(storage) == before
    finally:
        storage.close()
