"""The keyring: whether a backend is fit to hold the database key is judged by what it is (priority, plaintext,
what a chainer would write to), not by its class name; a damaged entry is a clear error, never a ValueError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import chainer, fail, null

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.keys import PASSPHRASE_ENV, KeyringKeys, keyring_backend_acceptable
from oet_desktop.core.storage.profile import KeySource, ProfileLocation, create_profile, erase_profile, open_profile
from oet_desktop.core.storage.repository import Profile
from tests.keyring_backend import MemoryKeyring, SharedTestKeyring


class PlaintextKeyring(MemoryKeyring):
    """Like keyrings.alt's PlaintextKeyring: a file anyone who can read it can read."""

    priority = 0.5  # type: ignore[assignment]


class AltFileKeyring(MemoryKeyring):
    """A keyrings.alt backend (file-based) that claims a high priority."""

    priority = 2  # type: ignore[assignment]


AltFileKeyring.__module__ = "keyrings.alt.file"


class HighPlainStore(MemoryKeyring):
    """An unencrypted store that declares itself: ``plaintext`` in its module's name, priority above 1."""

    priority = 3  # type: ignore[assignment]


HighPlainStore.__module__ = "some_vendor.plaintext_store"


class BrokenPriority(MemoryKeyring):
    @property
    def priority(self) -> float:  # type: ignore[override]
        raise RuntimeError("not viable here")


def _chainer(*backends: Any) -> chainer.ChainerBackend:
    """A chainer over exactly ``backends``, in the order it writes to them (highest priority first)."""
    cls = type("TestChainer", (chainer.ChainerBackend,), {"backends": list(backends), "priority": 10})
    return cls()


class _Module:
    """What :class:`KeyringKeys` is given: the keyring module's functions over one backend."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend

    def get_keyring(self) -> Any:
        return self.backend

    def get_password(self, service: str, name: str) -> str | None:
        return self.backend.get_password(service, name)  # type: ignore[no-any-return]

    def set_password(self, service: str, name: str, value: str) -> None:
        self.backend.set_password(service, name, value)

    def delete_password(self, service: str, name: str) -> None:
        self.backend.delete_password(service, name)


@pytest.mark.parametrize("backend", [
    pytest.param(_chainer(PlaintextKeyring()), id="chainer-over-plaintext-only"),
    pytest.param(_chainer(AltFileKeyring(), MemoryKeyring()), id="chainer-writes-to-keyrings-alt-first"),
    pytest.param(_chainer(HighPlainStore(), MemoryKeyring()), id="chainer-writes-to-plaintext-first"),
    pytest.param(_chainer(), id="empty-chainer"),
    pytest.param(_chainer(fail.Keyring()), id="chainer-over-fail"),
    pytest.param(fail.Keyring(), id="fail"),
    pytest.param(null.Keyring(), id="null"),
    pytest.param(PlaintextKeyring(), id="plaintext"),
    pytest.param(AltFileKeyring(), id="keyrings-alt"),
    pytest.param(HighPlainStore(), id="plaintext-module-high-priority"),
    pytest.param(BrokenPriority(), id="priority-raises"),
])
def test_backends_that_would_not_keep_the_key_safe_are_not_available(backend: Any) -> None:
    assert not keyring_backend_acceptable(backend)
    keys = KeyringKeys(_Module(backend))
    assert not keys.available()
    with pytest.raises(UserFacingError, match="no system keyring"):
        keys.create("default")


@pytest.mark.parametrize("backend", [
    pytest.param(MemoryKeyring(), id="memory"),
    pytest.param(SharedTestKeyring(), id="shared-test"),
    pytest.param(_chainer(MemoryKeyring(), PlaintextKeyring()), id="chainer-writes-to-a-good-one-first"),
])
def test_acceptable_backends_are_available(backend: Any) -> None:
    assert keyring_backend_acceptable(backend)
    assert KeyringKeys(_Module(backend)).available()


def test_the_installed_test_keyring_is_available(memory_keyring: MemoryKeyring) -> None:
    assert KeyringKeys(keyring).available()


def test_a_keyring_that_cannot_even_be_found_is_not_available() -> None:
    class Broken:
        def get_keyring(self) -> KeyringBackend:
            raise RuntimeError("no D-Bus")

    assert not KeyringKeys(Broken()).available()


CORRUPT = ["this is not hex at all", "abcd", "ab" * 33, "zz" * 32, "", b"\x00" * 32]


@pytest.mark.parametrize("stored", CORRUPT, ids=["words", "too-short", "too-long", "not-hex", "empty", "bytes"])
def test_a_damaged_keyring_entry_is_a_clear_error_never_a_value_error(stored: Any) -> None:
    backend = MemoryKeyring()
    keys = KeyringKeys(_Module(backend))
    backend.entries[("oet-desktop", "profile:default:db-key")] = stored
    with pytest.raises(UserFacingError) as raised:
        keys.get("default")
    assert not isinstance(raised.value, ValueError)
    message = raised.value.paragraph()
    assert "'default'" in raised.value.problem
    assert "damaged" in raised.value.problem
    assert PASSPHRASE_ENV in raised.value.fix
    assert "erase" in raised.value.fix
    if isinstance(stored, str) and len(stored) >= 4:
        assert stored not in message  # never echo what may be key material


def test_a_profile_with_a_damaged_key_entry_says_so_on_open_and_can_still_be_erased(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    location = ProfileLocation.in_data_dir(tmp_path / "data")
    keys = KeyringKeys(keyring)
    create_profile(location, KeySource(keys, {}), Profile("Amira Haddad", "nursing")).close()
    entry = ("oet-desktop", "profile:default:db-key")
    memory_keyring.entries[entry] = memory_keyring.entries[entry][:-2]  # one byte lost
    with pytest.raises(UserFacingError, match="damaged"):
        open_profile(location, KeySource(keys, {}))
    removed = erase_profile(location, keys)
    assert "keyring entry 'default'" in removed
    assert entry not in memory_keyring.entries
    assert not location.folder.exists()


def test_a_damaged_entry_after_an_interrupted_switch_to_a_passphrase_opens_with_the_passphrase(
        tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    from oet_desktop.core.storage.keys import passphrase_key
    from oet_desktop.core.storage.profile import KEYRING, PASSPHRASE, protect_with_passphrase

    location = ProfileLocation.in_data_dir(tmp_path / "data")
    keys = KeyringKeys(keyring)
    storage = create_profile(location, KeySource(keys, {}), Profile("Amira Haddad", "nursing"))
    protect_with_passphrase(storage, location, keys, passphrase_key("lantern orchard seventy"))
    storage.close()
    location.write_key_mode(KEYRING)  # as if the switch stopped before profile.json was written
    memory_keyring.entries[("oet-desktop", "profile:default:db-key")] = "not a key"
    with pytest.raises(UserFacingError, match="damaged"):
        open_profile(location, KeySource(keys, {PASSPHRASE_ENV: "the wrong passphrase"}))
    opened = open_profile(location, KeySource(keys, {PASSPHRASE_ENV: "lantern orchard seventy"}))
    try:
        assert opened.call(lambda repo: repo.profile()) is not None
    finally:
        opened.close()
    assert location.key_mode() == PASSPHRASE
