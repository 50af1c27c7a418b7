"""Result files of the measuring tests (bench-results/NAME.json), each stamped with the date, the machine, its
CPU and the commit measured, so a figure copied into the docs can be traced to its run."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import cpuinfo  # type: ignore[import-untyped]

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True,
                              cwd=RESULTS.parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def write_result(name: str, figures: dict[str, Any]) -> Path:
    """Write the figures with their provenance; returns the path."""
    RESULTS.mkdir(exist_ok=True)
    stamped = {"date": datetime.now(UTC).isoformat(timespec="seconds"), "machine": platform.platform(),
               "cpu": cpuinfo.get_cpu_info().get("brand_raw", platform.processor()), "commit": _commit(), **figures}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(stamped, indent=1, default=str) + "\n", encoding="utf-8")
    return path
