""""Export everything" and its import: one ZIP archive with every record as JSON (``records.json``), each
session's audio as WAV files (``audio/<session>/<side>.wav``) and a PDF of every feedback report
(``reports/<session>.pdf``). The archive is the user's own copy and is not encrypted."""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import soundfile

from oet_desktop import __version__
from oet_desktop.core.assessment.report import FeedbackReport
from oet_desktop.core.audio.types import Track
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.reports.atomic import write_atomically
from oet_desktop.core.storage.migrations import MIGRATIONS
from oet_desktop.core.storage.repository import ProfileRepository
from oet_desktop.core.storage.segments import AudioSegment, lay_out, split_track
from oet_desktop.core.storage.worker import StorageThread

ARCHIVE_FORMAT = 1
TRACKS = tuple(Track)
PdfRenderer = Callable[[FeedbackReport, Path], object]
"""Writes a report's PDF to a path (passed in, so storage does not depend on the PDF code)."""


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote."""

    path: Path
    sessions: int
    audio_files: int
    reports: int
    bytes: int


def _wav_bytes(pcm: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    soundfile.write(buffer, pcm, rate, format="WAV", subtype="PCM_16")
    return buffer.getvalue()


def _whole_track(repo: ProfileRepository, session_id: str, track: str) -> tuple[np.ndarray, int] | None:
    """One side's audio laid out at its own rate, or None when none is kept."""
    segments = repo.audio_segments(session_id, track)
    if not segments:
        return None
    rate = segments[0].sample_rate
    return lay_out(segments, rate), rate


def export_archive(storage: StorageThread, path: Path, render_pdf: PdfRenderer | None = None) -> ExportSummary:
    """Write everything in the profile to ``path`` (atomically: a failed export leaves no half archive and
    any earlier file untouched)."""
    tables = storage.call(lambda repo: repo.dump_tables())
    session_ids = [str(row["id"]) for row in tables["sessions"]]
    counts = {"audio": 0, "reports": 0}
    manifest: dict[str, Any] = {"format": ARCHIVE_FORMAT, "app": f"oet-desktop {__version__}",
                                "schema": MIGRATIONS[-1].version, "sessions": len(session_ids), "audio": [],
                                "reports": []}

    def build(stream: BinaryIO) -> None:
        with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            archive.writestr("records.json", json.dumps(tables, ensure_ascii=False, indent=1))
            for session_id in session_ids:
                for track in TRACKS:
                    laid_out = storage.call(partial(_whole_track, session_id=session_id, track=track))
                    if laid_out is None:
                        continue
                    pcm, rate = laid_out
                    name = f"audio/{session_id}/{track}.wav"
                    archive.writestr(name, _wav_bytes(pcm, rate))
                    manifest["audio"].append({"session_id": session_id, "track": track, "file": name,
                                              "sample_rate": rate})
                    counts["audio"] += 1
            if render_pdf is not None:
                _add_reports(storage, archive, session_ids, render_pdf, manifest)
                counts["reports"] = len(manifest["reports"])
            archive.writestr("manifest.json", json.dumps(manifest, indent=1))

    written = write_atomically(path, build)
    return ExportSummary(written, len(session_ids), counts["audio"], counts["reports"], written.stat().st_size)


def _add_reports(storage: StorageThread, archive: zipfile.ZipFile, session_ids: list[str], render_pdf: PdfRenderer,
                 manifest: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory(prefix="oet-export-") as scratch:
        for session_id in session_ids:
            report = storage.call(partial(ProfileRepository.load_feedback, session_id=session_id))
            if report is None:
                continue
            pdf = Path(scratch) / f"{session_id}.pdf"
            render_pdf(report, pdf)
            name = f"reports/{session_id}.pdf"
            archive.write(pdf, name, compress_type=zipfile.ZIP_STORED)
            manifest["reports"].append({"session_id": session_id, "file": name})


def _bad_archive(path: Path, why: str) -> UserFacingError:
    return UserFacingError(f"{path} is not an archive this app can import: {why}.",
                           "Choose a file made by `oet-desktop profile export` (or Export everything). Nothing in "
                           "your profile was changed.")


def read_manifest(archive: zipfile.ZipFile, path: Path) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """The manifest and records of an opened archive, checked."""
    try:
        manifest = json.loads(archive.read("manifest.json"))
        tables = json.loads(archive.read("records.json"))
    except KeyError as error:
        raise _bad_archive(path, f"{error.args[0]} is missing") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise _bad_archive(path, f"its records are damaged ({error})") from error
    if not isinstance(manifest, dict) or not isinstance(tables, dict):
        raise _bad_archive(path, "its records are not in the expected form")
    if manifest.get("format") != ARCHIVE_FORMAT:
        raise _bad_archive(path, f"it is in format {manifest.get('format')!r} (this app reads {ARCHIVE_FORMAT})")
    if int(manifest.get("schema", 0)) > MIGRATIONS[-1].version:
        raise UserFacingError(f"{path} was exported by a newer version of the app.",
                              "Update the app, then import it. Nothing in your profile was changed.")
    return manifest, tables


def _audio(archive: zipfile.ZipFile, manifest: dict[str, Any], path: Path) -> Iterator[tuple[str, AudioSegment]]:
    for entry in manifest.get("audio", []):
        track = entry.get("track")
        if track not in TRACKS:
            raise _bad_archive(path, f"it lists audio for an unknown side {track!r}")
        try:
            with archive.open(str(entry["file"])) as wav:
                pcm, rate = soundfile.read(io.BytesIO(wav.read()), dtype="int16", always_2d=True)
        except (KeyError, RuntimeError, soundfile.LibsndfileError) as error:
            raise _bad_archive(path, f"the audio {entry.get('file')!r} is missing or damaged ({error})") from error
        for segment in split_track(track, np.ascontiguousarray(pcm[:, 0]), int(rate)):
            yield str(entry["session_id"]), segment


def import_archive(storage: StorageThread, path: Path) -> int:
    """Add an exported archive's records and audio to the profile in one transaction (all or nothing);
    sessions already there are kept as they are. Returns how many sessions were added."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as error:
        raise UserFacingError(f"There is no file {path}.", "Check the path and try again.") from error
    except (zipfile.BadZipFile, OSError) as error:
        raise _bad_archive(path, f"it is not a ZIP file ({error})") from error
    with archive:
        manifest, tables = read_manifest(archive, path)

        def restore(repo: ProfileRepository) -> int:
            return repo.restore_tables(tables, _audio(archive, manifest, path))

        return storage.call(restore)
