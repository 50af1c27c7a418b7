"""What every command group shares: the unlocked profile (with its notices on stderr, so JSON output stays
clean)."""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from oet_desktop.core.content.scenario import Profession
from oet_desktop.core.storage.repository import Profile
from oet_desktop.core.storage.worker import StorageThread
from oet_desktop.services.context import AppContext
from oet_desktop.services.profile import ProfileGate

EXIT_USER_ERROR = 2


def gate(context: AppContext) -> ProfileGate:
    """The profile, with keys from the keyring, the environment, or a prompt when a terminal is attached (never a
    wait for input that cannot come)."""
    import keyring

    return ProfileGate(context.paths.data_dir, keyring, os.environ, getpass.getpass if sys.stdin.isatty() else None)


@contextmanager
def unlocked_profile(context: AppContext, create_for: Profession | None = None) -> Iterator[StorageThread]:
    """The profile, unlocked (and created for ``create_for`` when there is none yet); closed afterwards."""
    profile_gate = gate(context)
    if create_for is not None and not profile_gate.exists():
        opened = profile_gate.create(Profile("Candidate", create_for.value))
        print(f"Created your encrypted profile in {profile_gate.location.folder} ({profile_gate.protection()}).",
              file=sys.stderr)
    else:
        opened = profile_gate.open()
    try:
        if opened.interrupted:
            print(f"Kept {len(opened.interrupted)} role-play(s) cut short earlier, up to where they stopped: "
                  f"{', '.join(opened.interrupted)}.", file=sys.stderr)
        yield opened.storage
    finally:
        opened.storage.close()


