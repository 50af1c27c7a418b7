"""Resumable model downloads: HTTP Range, SHA-256 verified before the file is put in place."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from oet_desktop.core.errors import ModelCorruptError, UserFacingError
from oet_desktop.core.models.catalog import ModelEntry, ModelFile
from oet_desktop.core.models.checksums import sha256_file

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DownloadProgress:
    """Bytes done and total for the file being fetched."""

    model_id: str
    file: str
    done_bytes: int
    total_bytes: int


ProgressCallback = Callable[[DownloadProgress], None]


class DownloadError(UserFacingError):
    """A download that could not complete."""


def download_model(
    entry: ModelEntry,
    target_dir: Path,
    client: httpx.Client,
    on_progress: ProgressCallback | None = None,
) -> None:
    """Fetch every file of ``entry`` into ``target_dir``, resuming partial files, verifying each digest.

    A file is written as ``NAME.part`` and renamed only once its SHA-256 matches, so an interrupted or
    corrupt download never leaves a file the registry would load.
    """
    try:
        target_dir.mkdir(parents=True, exist_ok=True)
        for model_file in entry.files:
            final = target_dir / model_file.path
            if final.is_file():
                if final.stat().st_size == model_file.size_bytes and sha256_file(final) == model_file.sha256:
                    continue  # already installed and intact
                final.unlink()  # damaged: fetch it again
            _download_file(entry.id, model_file, final, client, on_progress)
    except OSError as exc:
        raise DownloadError(
            f"The model {entry.id} cannot be saved in {target_dir} ({exc.strerror or exc}).",
            "Free some disk space or check the folder's permissions, then run the same command again; "
            "it resumes where it stopped.",
        ) from exc


def _download_file(
    model_id: str, model_file: ModelFile, final: Path, client: httpx.Client, on_progress: ProgressCallback | None
) -> None:
    assert model_file.url is not None
    part = final.with_name(final.name + ".part")
    final.parent.mkdir(parents=True, exist_ok=True)
    have = part.stat().st_size if part.exists() else 0
    if have > model_file.size_bytes:
        part.unlink()
        have = 0
    if have < model_file.size_bytes:
        _fetch(model_id, model_file, part, have, client, on_progress)
    actual = sha256_file(part)
    if actual != model_file.sha256:
        part.unlink(missing_ok=True)
        raise ModelCorruptError(
            f"The download of {model_file.path} for {model_id} does not match its SHA-256 "
            f"(expected {model_file.sha256[:12]}…, got {actual[:12]}…); the file was discarded.",
            "Run the same command again; if it fails again the server's file has changed: update the app.",
        )
    os.replace(part, final)
    log.info("downloaded %s/%s (%d bytes)", model_id, model_file.path, model_file.size_bytes)


def _fetch(
    model_id: str,
    model_file: ModelFile,
    part: Path,
    have: int,
    client: httpx.Client,
    on_progress: ProgressCallback | None,
) -> None:
    """Stream the file into ``part``, from byte ``have`` when the server honours the Range request."""
    assert model_file.url is not None
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        with client.stream("GET", model_file.url, headers=headers, follow_redirects=True) as response:
            if response.status_code == 206 and have:
                mode, done = "ab", have
            elif response.status_code == 200:
                mode, done = "wb", 0  # no range support: start again
            else:
                raise DownloadError(
                    f"Downloading {model_file.path} for {model_id} failed: the server answered "
                    f"HTTP {response.status_code} for {model_file.url}.",
                    "Check the address and your connection, then run the same command again; it resumes.",
                )
            with part.open(mode) as out:
                for chunk in response.iter_bytes(1 << 16):
                    out.write(chunk)
                    done += len(chunk)
                    if on_progress:
                        on_progress(DownloadProgress(model_id, model_file.path, done, model_file.size_bytes))
    except httpx.HTTPError as exc:
        raise DownloadError(
            f"Downloading {model_file.path} for {model_id} was interrupted ({exc.__class__.__name__}: {exc}).",
            "Run the same command again: it resumes where it stopped.",
        ) from exc
