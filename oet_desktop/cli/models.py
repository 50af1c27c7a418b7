"""`doctor`, `models …` and `server-key …`: this machine and the models, and the API key of a remote
language-model server (kept in the system keyring)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.models.download import DownloadProgress
from oet_desktop.core.system.doctor import format_report
from oet_desktop.services import models
from oet_desktop.services.context import AppContext
from oet_desktop.services.settings import ApiKeys, server_origin

API_KEY_ENV = "OET_DESKTOP_SERVER_KEY"
"""Scripts give the server's API key here for `server-key set` (a terminal is asked otherwise)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `doctor`, `models …` and `server-key …`."""
    doctor = sub.add_parser("doctor", help="check this machine, the models and their speed")
    doctor.set_defaults(handler=doctor_command)
    doctor.add_argument("--json", action="store_true", help="print JSON")
    doctor.add_argument("--no-live", action="store_true", help="skip the live speed check")

    parser = sub.add_parser("models", help="list, verify and install models")
    parser.set_defaults(handler=models_command)
    commands = parser.add_subparsers(dest="models_command", required=True)
    listing = commands.add_parser("list", help="every model in the catalogue and its state")
    listing.add_argument("--json", action="store_true")
    commands.add_parser("verify", help="check every installed model's SHA-256")
    install = commands.add_parser("install", help="install or repair a model")
    install.add_argument("model_id")

    key = sub.add_parser("server-key", help="the API key of a language-model server (--llm-server), kept in the "
                                            "system keyring for that server only")
    key.set_defaults(handler=server_key_command)
    key_commands = key.add_subparsers(dest="key_command", required=True)
    for name, text in (("set", f"save the key (asked for, or from {API_KEY_ENV})"), ("clear", "remove the key"),
                       ("status", "whether a key is saved (never prints it)")):
        command = key_commands.add_parser(name, help=text)
        command.add_argument("server", metavar="URL", help="the server's address, e.g. http://gpu-box:8080/v1")


def doctor_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop doctor`."""
    report = models.check(context, live=not args.no_live)
    print(json.dumps(report.as_dict(), indent=2) if args.json else format_report(report))
    return 0 if report.ok else 1


def models_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop models list|verify|install`."""
    if args.models_command == "install":
        last = [-1]

        def progress(p: DownloadProgress) -> None:
            percent = int(100 * p.done_bytes / max(1, p.total_bytes))
            if percent != last[0]:
                last[0] = percent
                print(f"\r{p.file}: {percent}% of {p.total_bytes / 1e6:.0f} MB", end="", file=sys.stderr)

        resolved = models.install(context, args.model_id, progress)
        print(f"\n{args.model_id} is installed and verified at {resolved.root}")
        return 0
    rows, problems = models.catalogue_state(context)
    if args.models_command == "list" and args.json:
        print(json.dumps(rows, indent=2))
        return 0
    for row in rows:
        state = "verified" if row["verified"] else ("CORRUPT" if row["present"] else "not installed")
        print(f"{row['role']:<9} {row['id']:<42} {row['tier']:<11} {row['size_mb']:>8} MB  {state}")
        if row["problem"] and (row["present"] or row["tier"] == "default"):
            print(f"          {row['problem']}")
    return 1 if problems else 0


def server_key_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop server-key set|clear|status`."""
    import keyring

    keys = ApiKeys(keyring)
    server = server_origin(args.server)
    if args.key_command == "set":
        keys.check_available()  # before asking for a key that could not be kept
        value = os.environ.get(API_KEY_ENV)
        if not value:
            if not sys.stdin.isatty():
                raise UserFacingError("No API key was given.", f"Set {API_KEY_ENV}, or run this in a terminal.")
            value = getpass.getpass(f"API key for {server}: ")
        keys.set(server, value)
        print(f"The API key is saved in the system keyring; it is sent only to {server}.")
        return 0
    if args.key_command == "clear":
        print(f"The API key for {server} was removed." if keys.clear(server) else f"No API key is saved for {server}.")
        return 0
    print(f"An API key is saved for {server}." if keys.get(server) else f"No API key is saved for {server}.")
    return 0
