"""The parser and the entry point: global options choose the engines; each subcommand's handler comes from its
command group's module; no subcommand launches the window."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from oet_desktop import __version__
from oet_desktop.cli import account, audio, bench, feedback, models, practice, profile
from oet_desktop.cli.common import EXIT_USER_ERROR
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.logging_setup import configure_logging
from oet_desktop.core.paths import AppPaths
from oet_desktop.core.settings import EngineSettings
from oet_desktop.services import models as model_choice
from oet_desktop.services.context import AppContext, build_context
from oet_desktop.services.settings import ApiKeys

log = logging.getLogger("oet_desktop.cli")


def parser() -> argparse.ArgumentParser:
    """Every command and option."""
    root = argparse.ArgumentParser(prog="oet-desktop", description="Offline OET Speaking practice.")
    root.add_argument("--version", action="version", version=f"oet-desktop {__version__}")
    root.add_argument("--verbose", action="store_true", help="log debug detail to the console")
    root.add_argument("--gpu", choices=["auto", "on", "off"], help="GPU use for the models (default: auto)")
    root.add_argument("--llm", metavar="ID", help="the language model to use, by catalogue id (`models list`)")
    root.add_argument("--stt", metavar="ID", help="the speech-recognition model to use, by catalogue id")
    root.add_argument("--voice", metavar="ID", help="the patient's voice, by catalogue id")
    root.add_argument("--llm-server", metavar="URL",
                      help="use an OpenAI-compatible server (e.g. http://localhost:8080/v1) instead of llama.cpp; "
                           "its API key, if it needs one, comes from `server-key set`")
    root.add_argument("--llm-server-model", help="model name to ask the server for (default: default)")
    root.add_argument("--exit-when-interactive", action="store_true", help=argparse.SUPPRESS)
    root.add_argument("--first-run-screenshot", type=Path, help=argparse.SUPPRESS)
    root.set_defaults(handler=launch)
    sub = root.add_subparsers(dest="command")
    for group in (models, bench, practice, feedback, profile, audio, account):
        group.register(sub)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `oet-desktop` console script."""
    args = parser().parse_args(argv)
    paths = AppPaths.for_user()
    configure_logging(paths.log_dir, verbose=args.verbose)
    try:
        context = build_context(paths, _engine_settings(args), _pinned(args))
        if args.llm or args.stt or args.voice:
            context.engines.reconfigure(model_choice.choose(context, context.engines.settings, args.llm, args.stt,
                                                            args.voice))
        result: int = args.handler(context, args)
        return result
    except UserFacingError as exc:
        print(exc.paragraph(), file=sys.stderr)
        log.info("user-facing error: %s", exc.paragraph())
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130


def _engine_settings(args: argparse.Namespace) -> EngineSettings:
    key = None
    if args.llm_server:
        import keyring

        key = ApiKeys(keyring).get(args.llm_server)  # also checks the address
    return EngineSettings(gpu=args.gpu or "auto", llm_server_url=args.llm_server,
                          llm_server_model=args.llm_server_model or "default", llm_server_api_key=key)


def _pinned(args: argparse.Namespace) -> frozenset[str]:
    """The engine settings given on the command line (the window's saved settings do not replace them)."""
    given = {"gpu": args.gpu, "llm_server_url": args.llm_server, "llm_server_model": args.llm_server_model,
             "llm_model": args.llm, "stt_model": args.stt, "tts_model": args.voice}
    return frozenset(name for name, value in given.items() if value is not None)


def launch(context: AppContext, args: argparse.Namespace) -> int:
    """No subcommand: the window."""
    from oet_desktop.ui.launch import run_window

    return run_window(context, exit_when_interactive=args.exit_when_interactive,
                      first_run_screenshot=args.first_run_screenshot)
