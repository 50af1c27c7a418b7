"""A benchmark's result file: its figures stamped with the date, the machine, its CPU and the commit measured,
so a figure quoted in the docs can be traced to its run."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oet_desktop import __version__
from oet_desktop.core.system.hardware import cpu_description


def _commit(folder: Path) -> str:
    """The checked-out commit (with "+changes" when the tree differs from it), or the version when not in git."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=folder).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, check=True, cwd=folder).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return f"release {__version__}"
    return f"{head}+changes" if dirty else head


def stamp() -> dict[str, str]:
    """Date, platform (the machine's OS and architecture), CPU and commit."""
    return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "platform": platform.platform(),
            "cpu": cpu_description()[0], "commit": _commit(Path(__file__).resolve().parent)}


def write_result(path: Path, figures: dict[str, Any]) -> Path:
    """Write the figures with their stamp (creating the folder); returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**stamp(), **figures}, indent=2, default=str) + "\n", encoding="utf-8")
    return path
