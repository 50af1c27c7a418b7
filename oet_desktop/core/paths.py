"""Where the app keeps its files: per-user folders from platformdirs, and the bundled resources."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "oet-desktop"
APP_AUTHOR = "oet-desktop"


@dataclass(frozen=True)
class AppPaths:
    """The per-user folders. Build with :meth:`for_user` or pass explicit folders (tests)."""

    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def models_dir(self) -> Path:
        """Downloaded and imported models live here (never in the source tree)."""
        return self.data_dir / "models"

    @property
    def user_scenarios_dir(self) -> Path:
        """Where users drop their own scenario files."""
        return self.data_dir / "scenarios"

    @classmethod
    def for_user(cls) -> AppPaths:
        """The platform's conventional folders (XDG on Linux, ~/Library on macOS, AppData on Windows)."""
        return cls(
            data_dir=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
            cache_dir=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
            log_dir=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        )


def project_root() -> Path:
    """The folder holding ``models/`` (the catalogue) and ``resources/`` (scenarios, lexicon, fonts): package
    data of ``oet_desktop``, so a source checkout, a wheel install and a PyInstaller bundle find them alike.

    ``OET_DESKTOP_ROOT`` overrides it (tests use an edited copy).
    """
    override = os.environ.get("OET_DESKTOP_ROOT")
    if override:
        return Path(override)
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle and (Path(bundle) / "oet_desktop" / "models").is_dir():
        return Path(bundle) / "oet_desktop"
    return Path(__file__).resolve().parents[1]


def catalog_path() -> Path:
    """The model catalogue shipped with the app."""
    return project_root() / "models" / "catalog.yaml"
