"""Write a file all-or-nothing: build it in a temp file beside the target, fsync, then ``os.replace``."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from oet_desktop.core.errors import UserFacingError

_REASONS = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EACCES: "you do not have permission to write there",
    errno.EPERM: "you do not have permission to write there",
    errno.EROFS: "the folder is on a read-only disk",
    errno.ENOTDIR: "part of the folder path is a file, not a folder",
    errno.EEXIST: "part of the folder path is a file, not a folder",
    errno.EISDIR: "a folder with that name is already there",
    errno.ENAMETOOLONG: "the file name is too long",
}


class SaveError(UserFacingError):
    """A report could not be saved (read-only folder, full disk, bad path)."""


def save_error(path: Path, exc: OSError) -> SaveError:
    """A :class:`SaveError` naming the path and what went wrong."""
    reason = _REASONS.get(exc.errno or 0) or exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        fix = "Free some disk space, or choose another folder, and save again."
    else:
        fix = "Choose another folder you can write to, and save again."
    return SaveError(f"Could not save {path}: {reason}.", fix)


def _mode_for(path: Path) -> int:
    """Keep an existing file's permissions; otherwise the usual rw-r--r--."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644


def write_atomically(path: Path, build: Callable[[BinaryIO], None]) -> Path:
    """Call ``build`` with a binary temp file in ``path``'s folder, then move it over ``path``.

    On any failure the temp file is removed and an existing file at ``path`` is left untouched; an
    :class:`OSError` becomes a :class:`SaveError` (a :class:`UserFacingError`). Returns the absolute path.
    """
    path = Path(path).expanduser().absolute()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise save_error(path, exc) from exc
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            build(handle)
            handle.flush()
            os.fsync(handle.fileno())
        with contextlib.suppress(OSError):
            os.chmod(tmp, _mode_for(path))
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise save_error(path, exc) from exc
        raise
    _sync_folder(path.parent)
    return path


def _sync_folder(folder: Path) -> None:
    """Best effort: make the rename durable (POSIX only)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
