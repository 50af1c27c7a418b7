"""The launch benchmark: start the app as a user does (a new process), and time until its window is shown and
its event loop takes input."""

from __future__ import annotations

import os
import selectors
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TIMEOUT_S = 60.0


def run_launch_benchmark(runs: int = 5) -> dict[str, Any]:
    """Launch ``oet-desktop`` ``runs`` times (offscreen where there is no display) and time each."""
    command = [str(Path(sys.executable).with_name("oet-desktop")), "--exit-when-interactive"]
    env = dict(os.environ)
    if sys.platform == "linux" and not (env.get("DISPLAY") or env.get("WAYLAND_DISPLAY")):
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
    times = []
    for run in range(runs):
        with tempfile.TemporaryFile("w+") as errors:
            began = time.perf_counter()
            process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env)
            assert process.stdout is not None
            ready = selectors.DefaultSelector()
            ready.register(process.stdout, selectors.EVENT_READ)
            while time.perf_counter() - began < TIMEOUT_S and ready.select(TIMEOUT_S):
                line = process.stdout.readline()
                if not line or line.strip() == "interactive":
                    if line:
                        times.append(time.perf_counter() - began)
                    break
            try:
                process.wait(TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
            if len(times) < run + 1 or process.returncode != 0:
                errors.seek(0)
                raise RuntimeError(f"the app did not start (exit {process.returncode}): {errors.read()[-500:]}")
    return {"platform": env.get("QT_QPA_PLATFORM", "display"), "runs": runs,
            "seconds": [round(t, 3) for t in times], "median_s": round(statistics.median(times), 3),
            "max_s": round(max(times), 3), "target_s": 2.0}
