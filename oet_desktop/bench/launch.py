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


def run_launch_benchmark(runs: int = 5, program: Path | None = None, first_launch: bool = False,
                         environ: dict[str, str] | None = None, target_s: float = 2.0) -> dict[str, Any]:
    """Launch ``program`` (default: this environment's ``oet-desktop``; a bundle's executable to time the
    bundle) ``runs`` times, offscreen where there is no display, and time each. With ``first_launch`` every
    launch gets a fresh, empty home folder, as a newly installed app's first start does."""
    program = program or Path(sys.executable).with_name("oet-desktop")
    command = [str(program), "--exit-when-interactive"]
    base = dict(os.environ if environ is None else environ)
    if sys.platform == "linux" and not (base.get("DISPLAY") or base.get("WAYLAND_DISPLAY")):
        base.setdefault("QT_QPA_PLATFORM", "offscreen")
    times = []
    for run in range(runs):
        with tempfile.TemporaryFile("w+") as errors, tempfile.TemporaryDirectory(prefix="launch-home-") as home:
            env = {**base, **(_fresh_home(Path(home)) if first_launch else {})}
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
    return {"platform": base.get("QT_QPA_PLATFORM", "display"), "program": str(program),
            "first_launch": first_launch, "runs": runs, "seconds": [round(t, 3) for t in times],
            "median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3), "target_s": target_s}


def _fresh_home(home: Path) -> dict[str, str]:
    """Environment variables that give a launch an empty home and XDG folders."""
    folders = {"HOME": home, "XDG_DATA_HOME": home / "data", "XDG_CONFIG_HOME": home / "config",
               "XDG_CACHE_HOME": home / "cache", "XDG_STATE_HOME": home / "state", "XDG_RUNTIME_DIR": home / "run"}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    (home / "run").chmod(0o700)
    return {name: str(folder) for name, folder in folders.items()}
