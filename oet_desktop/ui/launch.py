"""Starting the window: the application object, the window shown before anything heavy loads, then the event
loop."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from oet_desktop.core.errors import UserFacingError
from oet_desktop.services.context import AppContext

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from oet_desktop.ui.main_window import MainWindow

DESKTOP_ID = "io.github.oetdesktop.OetDesktop"
"""The app's id in the Linux packages (its .desktop file, icon and AppStream metainfo)."""


class LazyKeyring:
    """The ``keyring`` module, imported on first use (finding the keyring backends takes a few hundred ms, which
    happens on a background task instead of before the window shows)."""

    def __getattr__(self, name: str) -> object:
        import keyring

        return getattr(keyring, name)


def has_display(environ: Mapping[str, str], platform: str = sys.platform) -> bool:
    """True when Qt can open a window here (always on Windows and macOS)."""
    if platform != "linux" or environ.get("QT_QPA_PLATFORM"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def run_window(context: AppContext, argv: list[str] | None = None, exit_when_interactive: bool = False,
               first_run_screenshot: Path | None = None) -> int:
    """Show the main window and run until it is closed. ``exit_when_interactive`` (for the launch benchmark)
    prints ``interactive`` once the shown window's event loop is taking input, and quits;
    ``first_run_screenshot`` (for the bundle's smoke test) saves the window once the first-run page shows,
    prints ``first-run``, and quits."""
    if not has_display(os.environ):
        raise UserFacingError("There is no display to open the window on.",
                              "Run the app from your desktop; without one, `oet-desktop practice --demo` runs a "
                              "whole role-play through the real models and `oet-desktop --help` lists the rest.")
    from dataclasses import replace

    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from oet_desktop import __version__
    from oet_desktop.core.paths import project_root
    from oet_desktop.services.workspace import Workspace
    from oet_desktop.ui.main_window import MainWindow, start_later
    from oet_desktop.ui.tasks import Tasks

    # The window keeps torch out of its own process: the embedding model runs in a child process.
    context.engines.reconfigure(replace(context.engines.settings, embedder_in_process=False))
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(argv or sys.argv[:1])
    app.setApplicationName("OET Speaking practice")
    app.setOrganizationName("oet-desktop")
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(DESKTOP_ID)  # Wayland matches the window to the installed .desktop entry and icon
    app.setWindowIcon(QIcon(str(project_root() / "resources" / "icons" / "oet-desktop.png")))
    window = MainWindow(Workspace(context, LazyKeyring(), os.environ), Tasks())
    window.show()
    start_later(window)
    if exit_when_interactive:
        from PySide6.QtCore import QTimer

        def report() -> None:
            print("interactive", flush=True)
            window.close()
            app.quit()

        QTimer.singleShot(0, report)  # runs once the event loop has painted the window and started it
    if first_run_screenshot is not None:
        _screenshot_first_run(app, window, first_run_screenshot)
    return int(app.exec())


def _screenshot_first_run(app: QApplication, window: MainWindow, path: Path) -> None:
    from PySide6.QtCore import QTimer

    timer = QTimer(window)
    began = time.monotonic()

    def check() -> None:
        if window.first_run is not None and window.pages.currentWidget() is window.first_run:
            timer.stop()
            window.grab().save(str(path))
            print("first-run", flush=True)
            window.close()
            app.quit()
        elif time.monotonic() - began > 60:
            timer.stop()
            print("the first-run page did not show within 60 s", file=sys.stderr, flush=True)
            window.close()
            app.exit(1)

    timer.timeout.connect(check)
    timer.start(100)
