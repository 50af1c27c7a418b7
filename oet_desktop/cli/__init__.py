"""The `oet-desktop` command: launches the window by default; headless subcommands for everything else. Each
command group has its module; every command is one call into the application layer (``oet_desktop.services``)
and prints what it returns."""

from oet_desktop.cli.main import main

__all__ = ["main"]
