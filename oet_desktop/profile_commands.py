"""The `profile`, `history` and `bench storage` commands, and unlocking the encrypted profile for the others:
the key comes from the OS keyring, ``OET_DESKTOP_PASSPHRASE``, or a prompt when a terminal is attached (never a
wait for input that cannot come)."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from oet_desktop.app import AppContext
from oet_desktop.core.assessment.criteria import ALL_CRITERIA
from oet_desktop.core.content.scenario import Profession
from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.keys import KeyringKeys
from oet_desktop.core.storage.profile import (
    KeySource,
    ProfileLocation,
    create_profile,
    erase_profile,
    open_profile,
    protect_with_keyring,
    protect_with_passphrase,
)
from oet_desktop.core.storage.repository import RETENTION_SETTING, Profile, ProfileRepository
from oet_desktop.core.storage.worker import StorageThread

NEW_PASSPHRASE_ENV = "OET_DESKTOP_NEW_PASSPHRASE"
"""Scripts changing the passphrase give the new one here (the current one in ``OET_DESKTOP_PASSPHRASE``)."""


def add_profile_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `profile …` and `history`."""
    profile = sub.add_parser("profile", help="your encrypted practice data: create, protect, export, erase")
    profile_sub = profile.add_subparsers(dest="profile_command", required=True)
    create = profile_sub.add_parser("create", help="create the encrypted profile")
    create.add_argument("--name", default="Candidate")
    create.add_argument("--profession", required=True, choices=[p.value for p in Profession])
    create.add_argument("--passphrase", action="store_true", help="protect it with a passphrase, not the keyring")
    profile_sub.add_parser("show", help="where it is, how it is protected, what it holds")
    profile_sub.add_parser("passphrase", help=f"protect with a new passphrase ({NEW_PASSPHRASE_ENV} for scripts)")
    profile_sub.add_parser("keyring", help="protect with a random key kept in the system keyring")
    retention = profile_sub.add_parser("retention", help="delete audio older than N days (scores stay)")
    retention.add_argument("days", help="a number of days, or `off` to keep audio until you delete it")
    export = profile_sub.add_parser("export", help="everything, as one ZIP (JSON, WAV audio, PDF reports)")
    export.add_argument("archive", type=Path)
    export.add_argument("--no-pdf", action="store_true", help="leave the PDF reports out (faster)")
    imported = profile_sub.add_parser("import", help="add an exported ZIP's sessions to this profile")
    imported.add_argument("archive", type=Path)
    erase = profile_sub.add_parser("erase", help="delete the database, its audio and its keyring entry")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    history = sub.add_parser("history", help="your past role-plays with their scores")
    history.add_argument("--limit", type=int, default=20)
    history.add_argument("--json", action="store_true")


def key_source() -> KeySource:
    """Keys for the command line: the keyring, the environment, or a prompt when there is a terminal."""
    import keyring

    ask = getpass.getpass if sys.stdin.isatty() else None
    return KeySource(KeyringKeys(keyring), os.environ, ask)


def location_for(context: AppContext) -> ProfileLocation:
    """The profile in the user's data folder."""
    return ProfileLocation.in_data_dir(context.paths.data_dir)


@contextmanager
def unlocked_profile(context: AppContext, create_for: Profession | None = None) -> Iterator[StorageThread]:
    """The profile, unlocked (and created for ``create_for`` when there is none yet); on opening, role-plays a
    crash left unfinished are marked interrupted and the audio retention setting is applied. Notices go to
    stderr, so a command's JSON output stays clean."""
    location = location_for(context)
    keys = key_source()
    if create_for is not None and not location.exists():
        storage = create_profile(location, keys, Profile("Candidate", create_for.value))
        print(f"Created your encrypted profile in {location.folder} ({_protection(location)}).", file=sys.stderr)
    else:
        storage = open_profile(location, keys)
    try:
        interrupted = storage.call(ProfileRepository.recover_interrupted)
        if interrupted:
            print(f"Kept {len(interrupted)} role-play(s) cut short earlier, up to where they stopped: "
                  f"{', '.join(interrupted)}.", file=sys.stderr)
        storage.call(ProfileRepository.apply_retention)
        yield storage
    finally:
        storage.close()


def _protection(location: ProfileLocation) -> str:
    return "key in the system keyring" if location.key_mode() == "keyring" else "protected by your passphrase"


def profile_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop profile …`."""
    command = args.profile_command
    location = location_for(context)
    if command == "create":
        storage = create_profile(location, key_source(), Profile(args.name, args.profession), args.passphrase)
        storage.close()
        print(f"Created your encrypted profile in {location.folder} ({_protection(location)}).")
        return 0
    if command == "erase":
        return _erase(context, location, args.yes)
    with unlocked_profile(context) as storage:
        if command == "show":
            return _show(storage, location)
        if command == "passphrase":
            keys = key_source()
            protect_with_passphrase(storage, location, keys.keyring,
                                    keys.new_passphrase(NEW_PASSPHRASE_ENV, "protect your practice data"))
            print("Your profile is now protected by the new passphrase. Keep it safe: without it the data cannot "
                  "be opened.")
            return 0
        if command == "keyring":
            protect_with_keyring(storage, location, key_source().keyring)
            print("Your profile is now protected by a random key kept in the system keyring.")
            return 0
        if command == "retention":
            return _retention(storage, args.days)
        if command == "export":
            return _export(storage, args.archive, not args.no_pdf)
        if command == "import":
            from oet_desktop.core.storage.archive import import_archive

            added = import_archive(storage, args.archive)
            print(f"Imported {added} role-play(s) from {args.archive}; "
                  f"{storage.call(ProfileRepository.session_count)} in your profile now.")
            return 0
    raise UserFacingError(f"Unknown profile command {command!r}.", "See `oet-desktop profile --help`.")


def _show(storage: StorageThread, location: ProfileLocation) -> int:
    owner = storage.call(ProfileRepository.profile)
    days = storage.call(ProfileRepository.retention_days)
    size = sum(p.stat().st_size for p in location.folder.iterdir() if p.is_file())
    print(f"Profile:     {owner.name if owner else '(no name)'}, {owner.profession if owner else '?'}")
    print(f"Folder:      {location.folder} ({size / 1e6:.1f} MB, encrypted)")
    print(f"Protection:  {_protection(location)}")
    print(f"Role-plays:  {storage.call(ProfileRepository.session_count)}")
    print(f"Audio kept:  {_days(days) if days else 'until you delete it'}")
    print(f"Not synced:  {storage.call(ProfileRepository.pending_changes)} change(s)")
    return 0


def _days(days: int) -> str:
    return f"for {days} day{'' if days == 1 else 's'}"


def _retention(storage: StorageThread, value: str) -> int:
    if value == "off":
        days = None
    elif value.isdigit() and int(value) > 0:
        days = int(value)
    else:
        raise UserFacingError(f"{value!r} is not a number of days.", "Give a whole number such as 30, or `off`.")
    storage.call(lambda repo: repo.save_setting(RETENTION_SETTING, days))
    removed = storage.call(ProfileRepository.apply_retention)
    print(f"Audio is kept {_days(days) if days else 'until you delete it'}; transcripts and scores are "
          f"always kept. {removed} older role-play(s) had their audio deleted now.")
    return 0


def _export(storage: StorageThread, archive: Path, with_pdfs: bool) -> int:
    from oet_desktop.core.reports.session_pdf import write_session_pdf
    from oet_desktop.core.storage.archive import export_archive

    summary = export_archive(storage, archive, write_session_pdf if with_pdfs else None)
    print(f"Exported {summary.sessions} role-play(s), {summary.audio_files} audio file(s) and {summary.reports} "
          f"PDF report(s) to {summary.path} ({summary.bytes / 1e6:.1f} MB). The archive is not encrypted: keep it "
          "somewhere safe.")
    return 0


def _erase(context: AppContext, location: ProfileLocation, confirmed: bool) -> int:
    if not confirmed:
        if not sys.stdin.isatty():
            raise UserFacingError("Erasing everything needs confirmation.",
                                  "Run `oet-desktop profile erase --yes` (consider `profile export` first).")
        answer = input(f"Erase every role-play, recording and score in {location.folder}? Type ERASE: ")
        if answer.strip() != "ERASE":
            print("Nothing was erased.")
            return 1
    removed = erase_profile(location, key_source().keyring, (context.paths.data_dir / "sessions",))
    print(f"Erased {len(removed)} item(s): {', '.join(removed)}." if removed else "There was nothing to erase.")
    return 0


def history_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop history`: past role-plays, newest first, with the nine scores."""
    with unlocked_profile(context) as storage:
        listing = storage.call(lambda repo: repo.list_sessions(args.limit))
    if args.json:
        print(json.dumps([s.__dict__ for s in listing], indent=1))
        return 0
    if not listing:
        print("No role-plays saved yet. Practise one: `oet-desktop practice --demo`.")
        return 0
    print(f"{'role-play':<58} {'status':<12} {'est.':>5}  In Fl Ap Gr  A  B  C  D  E")
    for s in listing:
        scores = " ".join(f"{'-' if s.scores.get(c.value) is None else s.scores[c.value]:>2}" for c in ALL_CRITERIA)
        estimate = f"~{s.estimate}" if s.estimate is not None else "-"
        audio = "  (audio deleted)" if s.audio_removed else ""
        print(f"{s.session_id:<58} {s.status:<12} {estimate:>5}  {scores}{audio}")
    print("In Intelligibility, Fl Fluency, Ap Appropriateness, Gr Grammar and expression; A-E the clinical "
          "criteria. Estimates are ours, not OET's.")
    return 0


def bench_storage_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop bench storage`: the store's promised figures, on this machine's disk."""
    from oet_desktop.core.storage.bench import run_storage_benchmark
    from oet_desktop.feedback_commands import example_report

    context.paths.cache_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=context.paths.cache_dir, prefix="bench-storage-") as scratch:
        result = run_storage_benchmark(Path(scratch), example_report(), args.runs, args.sessions)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    opened, saved, going, listed = (result["open_raw_key_ms"], result["save_5min_session_ms"],
                                    result["save_as_it_goes_ms"], result["list_sessions_ms"])
    print(f"Open with the keyring (raw) key       median {opened['median']:7.1f} ms  max {opened['max']:7.1f} ms"
          "  (target <= 50)")
    print(f"Save a 5-minute role-play, both sides median {saved['median']:7.1f} ms  max {saved['max']:7.1f} ms"
          "  (target <= 300)")
    print(f"  saved as it goes: wait per turn     median {going['checkpoint_wait_median']:7.1f} ms  max "
          f"{going['checkpoint_wait_max']:7.1f} ms; final save median {going['final_save_median']:.1f} ms")
    print(f"List {listed['sessions']} sessions with scores     median {listed['median']:7.1f} ms  max "
          f"{listed['max']:7.1f} ms  (target <= 50)")
    print(f"Written to {args.out}")
    return 0
