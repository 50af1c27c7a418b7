"""`profile …`: the encrypted practice data: create, show, protect, retention, export, import, erase."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from oet_desktop.cli.common import gate, unlocked_profile
from oet_desktop.core.content.scenario import Profession
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.repository import Profile
from oet_desktop.services import profile as profiles
from oet_desktop.services.context import AppContext
from oet_desktop.services.settings import freed_text

NEW_PASSPHRASE_ENV = "OET_DESKTOP_NEW_PASSPHRASE"
"""Scripts changing the passphrase give the new one here (the current one in ``OET_DESKTOP_PASSPHRASE``)."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `profile …`."""
    parser = sub.add_parser("profile", help="your encrypted practice data: create, protect, export, erase")
    parser.set_defaults(handler=profile_command)
    commands = parser.add_subparsers(dest="profile_command", required=True)
    create = commands.add_parser("create", help="create the encrypted profile")
    create.add_argument("--name", default="Candidate")
    create.add_argument("--profession", required=True, choices=[p.value for p in Profession])
    create.add_argument("--passphrase", action="store_true", help="protect it with a passphrase, not the keyring")
    commands.add_parser("show", help="where it is, how it is protected, what it holds")
    commands.add_parser("passphrase", help=f"protect with a new passphrase ({NEW_PASSPHRASE_ENV} for scripts)")
    commands.add_parser("keyring", help="protect with a random key kept in the system keyring")
    retention = commands.add_parser("retention", help="delete audio older than N days (scores stay)")
    retention.add_argument("days", help="a number of days, or `off` to keep audio until you delete it")
    export = commands.add_parser("export", help="everything, as one ZIP (JSON, WAV audio, PDF reports)")
    export.add_argument("archive", type=Path)
    export.add_argument("--no-pdf", action="store_true", help="leave the PDF reports out (faster)")
    imported = commands.add_parser("import", help="add an exported ZIP's sessions to this profile")
    imported.add_argument("archive", type=Path)
    erase = commands.add_parser("erase", help="delete the database, its audio and its keyring entry")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")


def _days(days: int | None) -> str:
    return f"for {days} day{'' if days == 1 else 's'}" if days else "until you delete it"


def profile_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop profile …`."""
    command = args.profile_command
    profile_gate = gate(context)
    if command == "create":
        profile_gate.create(Profile(args.name, args.profession), use_passphrase=args.passphrase).storage.close()
        print(f"Created your encrypted profile in {profile_gate.location.folder} ({profile_gate.protection()}).")
        return 0
    if command == "erase":
        return _erase(profile_gate, args.yes)
    with unlocked_profile(context) as storage:
        if command == "show":
            summary = profiles.summarise(profile_gate, storage)
            print(f"Profile:     {summary.name}, {summary.profession}")
            print(f"Folder:      {summary.folder} ({summary.size_bytes / 1e6:.1f} MB, encrypted)")
            print(f"Protection:  {summary.protection}")
            print(f"Role-plays:  {summary.sessions}")
            print(f"Audio kept:  {_days(summary.retention_days)}")
            return 0
        if command == "passphrase":
            key = profile_gate.keys().new_passphrase(NEW_PASSPHRASE_ENV, "protect your practice data")
            profile_gate.protect_with_passphrase(storage, key)
            print("Your profile is now protected by the new passphrase. Keep it safe: without it the data cannot "
                  "be opened.")
            return 0
        if command == "keyring":
            profile_gate.protect_with_keyring(storage)
            print("Your profile is now protected by a random key kept in the system keyring.")
            return 0
        if command == "retention":
            days = profiles.parse_retention(args.days)
            removed = profiles.set_retention(storage, days)
            print(f"Audio is kept {_days(days)}; transcripts and scores are always kept. {removed.sessions} older "
                  f"role-play(s) had their audio deleted now{freed_text(removed.bytes_freed)}.")
            return 0
        if command == "export":
            summary_ = profiles.export_everything(storage, args.archive, not args.no_pdf)
            print(f"Exported {summary_.sessions} role-play(s), {summary_.audio_files} audio file(s) and "
                  f"{summary_.reports} PDF report(s) to {summary_.path} ({summary_.bytes / 1e6:.1f} MB). The archive "
                  "is not encrypted: keep it somewhere safe.")
            return 0
        if command == "import":
            imported = profiles.import_everything(storage, args.archive)
            print(f"Imported {imported.added} role-play(s) from {args.archive}; {imported.total} in your profile "
                  "now.")
            return 0
    raise UserFacingError(f"Unknown profile command {command!r}.", "See `oet-desktop profile --help`.")


def _erase(profile_gate: profiles.ProfileGate, confirmed: bool) -> int:
    if not confirmed:
        if not sys.stdin.isatty():
            raise UserFacingError("Erasing everything needs confirmation.",
                                  "Run `oet-desktop profile erase --yes` (consider `profile export` first).")
        answer = input(f"Erase every role-play, recording and score in {profile_gate.location.folder}? Type ERASE: ")
        if answer.strip() != "ERASE":
            print("Nothing was erased.")
            return 1
    removed = profile_gate.erase()
    print(f"Erased {len(removed)} item(s): {', '.join(removed)}." if removed else "There was nothing to erase.")
    return 0
