"""Result files of the measuring tests (bench-results/NAME.json), each stamped like the benchmarks' files with
the date, the machine, its CPU and the commit measured, so a figure copied into the docs can be traced to its
run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from oet_desktop.bench.results import stamp

RESULTS = Path(__file__).resolve().parents[1] / "bench-results"


def write_result(name: str, figures: dict[str, Any]) -> Path:
    """Write the figures with their provenance; returns the path."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps({**stamp(), **figures}, indent=1, default=str) + "\n", encoding="utf-8")
    return path
