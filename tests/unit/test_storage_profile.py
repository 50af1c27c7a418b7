"""Profiles on disk with the real SQLCipher and the real keyring API (an in-memory backend stands in for the OS
keyring headless): creating with a keyring key or a passphrase, never without a key, unlocking, switching
protection (also after a crash half-way), and erasing everything."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from oet_desktop.core.storage.database import WrongKey, open_database
from oet_desktop.core.storage.keys import PASSPHRASE_ENV, KeyringKeys, KeyUnavailable, passphrase_key
from oet_desktop.core.storage.profile import (
    KeySource,
    NoProfile,
    ProfileLocation,
    create_profile,
    erase_profile,
    open_profile,
    protect_with_keyring,
    protect_with_passphrase,
)
from oet_desktop.core.storage.repository import Profile
from tests.keyring_backend import MemoryKeyring

OWNER = Profile("Amira Haddad", "nursing")
PASSPHRASE = "lantern orchard seventy"




@pytest.fixture
def no_keyring() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(before)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _location(tmp_path: Path) -> ProfileLocation:
    return ProfileLocation.in_data_dir(tmp_path / "data")


def test_a_new_profile_keeps_a_random_key_in_the_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    location = _location(tmp_path)
    storage = create_profile(location, KeySource(KeyringKeys(keyring), {}), OWNER)
    storage.close()
    assert location.key_mode() == "keyring"
    stored = memory_keyring.entries[("oet-desktop", "profile:default:db-key")]
    assert len(bytes.fromhex(stored)) == 32
    assert stored not in location.meta_path.read_text()
    assert not location.db_path.read_bytes().startswith(b"SQLite format 3")
    again = open_profile(location, KeySource(KeyringKeys(keyring), {}))
    try:
        assert again.call(lambda repo: repo.profile()) == OWNER
    finally:
        again.close()


def test_with_no_keyring_and_no_passphrase_creation_stops_with_a_clear_message(tmp_path: Path,
                                                                               no_keyring: None) -> None:
    location = _location(tmp_path)
    began = time.monotonic()
    with pytest.raises(KeyUnavailable) as caught:
        create_profile(location, KeySource(KeyringKeys(keyring), {}, ask=None), OWNER)
    assert time.monotonic() - began < 5  # it never waits for input nobody can give
    assert "no system keyring" in caught.value.paragraph()
    assert PASSPHRASE_ENV in caught.value.paragraph()
    assert not location.exists()
    assert not location.meta_path.exists()


def test_a_passphrase_profile_unlocks_only_with_its_passphrase(tmp_path: Path, no_keyring: None) -> None:
    location = _location(tmp_path)
    create_profile(location, KeySource(KeyringKeys(keyring), {PASSPHRASE_ENV: PASSPHRASE}), OWNER).close()
    assert location.key_mode() == "passphrase"
    before = _digest(location.db_path)
    with pytest.raises(KeyUnavailable, match="protected by a passphrase, and none was given"):
        open_profile(location, KeySource(KeyringKeys(keyring), {}))
    with pytest.raises(WrongKey, match="passphrase does not open") as caught:
        open_profile(location, KeySource(KeyringKeys(keyring), {PASSPHRASE_ENV: "not the passphrase"}))
    assert "has not been changed" in caught.value.paragraph()
    assert _digest(location.db_path) == before
    typed: list[str] = []

    def ask(prompt: str) -> str:
        typed.append(prompt)
        return PASSPHRASE

    storage = open_profile(location, KeySource(KeyringKeys(keyring), {}, ask=ask))
    storage.close()
    assert typed == ["Passphrase to unlock your practice data: "]


def test_switching_protection_both_ways(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    location = _location(tmp_path)
    keys = KeyringKeys(keyring)
    storage = create_profile(location, KeySource(keys, {}), OWNER)
    old_key = keys.get("default")
    assert old_key is not None
    protect_with_passphrase(storage, location, keys, passphrase_key(PASSPHRASE))
    storage.close()
    assert location.key_mode() == "passphrase"
    assert keys.get("default") is None  # the keyring no longer holds a key for it
    with pytest.raises(WrongKey):
        open_database(location.db_path, old_key)
    storage = open_profile(location, KeySource(keys, {PASSPHRASE_ENV: PASSPHRASE}))
    protect_with_keyring(storage, location, keys)
    storage.close()
    assert location.key_mode() == "keyring"
    with pytest.raises(WrongKey):
        open_database(location.db_path, passphrase_key(PASSPHRASE))
    open_profile(location, KeySource(keys, {})).close()


def test_a_switch_cut_short_before_profile_json_was_written_still_opens(tmp_path: Path,
                                                                         memory_keyring: MemoryKeyring) -> None:
    location = _location(tmp_path)
    keys = KeyringKeys(keyring)
    storage = create_profile(location, KeySource(keys, {}), OWNER)
    storage.rekey(passphrase_key(PASSPHRASE))  # the crash came before profile.json said "passphrase"
    storage.close()
    assert location.key_mode() == "keyring"
    with pytest.raises(WrongKey):
        open_profile(location, KeySource(keys, {}))
    open_profile(location, KeySource(keys, {PASSPHRASE_ENV: PASSPHRASE})).close()
    assert location.key_mode() == "passphrase"


def test_erase_removes_the_database_the_folder_and_the_keyring_entry(tmp_path: Path,
                                                                     memory_keyring: MemoryKeyring) -> None:
    location = _location(tmp_path)
    keys = KeyringKeys(keyring)
    create_profile(location, KeySource(keys, {}), OWNER).close()
    bundles = tmp_path / "data" / "sessions"
    (bundles / "old").mkdir(parents=True)
    removed = erase_profile(location, keys, (bundles,))
    assert str(location.db_path) in removed
    assert "keyring entry 'default'" in removed
    assert not location.folder.exists()
    assert not bundles.exists()
    assert memory_keyring.entries == {}
    with pytest.raises(NoProfile, match="There is no profile"):
        open_profile(location, KeySource(keys, {}))
