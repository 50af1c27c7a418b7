"""The encrypted profile database with the real SQLCipher: encryption at rest, wrong keys, re-keying,
migrations, and keys in a keyring (an in-memory backend stands in for the OS keyring headless)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from oet_desktop.core.errors import UserFacingError
from oet_desktop.core.storage.database import WrongKey, integrity_problems, open_database, rekey
from oet_desktop.core.storage.keys import (
    PASSPHRASE_ENV,
    DatabaseKey,
    KeyringKeys,
    KeyUnavailable,
    passphrase_from_environment,
    passphrase_key,
)
from oet_desktop.core.storage.migrations import MIGRATIONS, Migration, migrate, schema_version

SECRET_WORDS = "anticoagulant bruising Tuesday"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _new_database(path: Path, key: DatabaseKey) -> None:
    connection = open_database(path, key, create=True)
    migrate(connection)
    connection.execute("INSERT INTO settings VALUES ('note', ?, '2026-11-26')", (SECRET_WORDS,))
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()


@pytest.mark.parametrize("key", [DatabaseKey(raw=bytes(range(32))), DatabaseKey(passphrase="correct horse")])
def test_the_file_is_unreadable_without_the_key(tmp_path: Path, key: DatabaseKey) -> None:
    path = tmp_path / "profile.db"
    _new_database(path, key)
    data = path.read_bytes()
    assert not data.startswith(b"SQLite format 3")
    assert b"anticoagulant" not in data
    assert b"CREATE TABLE" not in data
    connection = open_database(path, key)
    assert connection.execute("SELECT value FROM settings").fetchone()[0] == SECRET_WORDS
    assert integrity_problems(connection) == []
    connection.close()


def test_a_wrong_key_or_passphrase_is_a_clear_message_and_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    _new_database(path, DatabaseKey(passphrase="correct horse"))
    before = _digest(path)
    with pytest.raises(WrongKey, match="passphrase does not open") as caught:
        open_database(path, DatabaseKey(passphrase="wrong horse"))
    assert "has not been changed" in caught.value.paragraph()
    with pytest.raises(WrongKey, match="key does not open"):
        open_database(path, DatabaseKey(raw=bytes(32)))
    assert _digest(path) == before


def test_switching_from_keyring_key_to_passphrase_and_back(tmp_path: Path) -> None:
    path = tmp_path / "profile.db"
    raw, phrase = DatabaseKey(raw=bytes(range(32))), DatabaseKey(passphrase="a new passphrase")
    _new_database(path, raw)
    connection = open_database(path, raw)
    rekey(connection, phrase)
    connection.close()
    with pytest.raises(WrongKey):
        open_database(path, raw)
    connection = open_database(path, phrase)
    assert connection.execute("SELECT value FROM settings").fetchone()[0] == SECRET_WORDS
    rekey(connection, raw)
    connection.close()
    assert open_database(path, raw).execute("SELECT count(*) FROM settings").fetchone()[0] == 1


def test_migrations_run_once_each_in_order(tmp_path: Path) -> None:
    connection = open_database(tmp_path / "p.db", DatabaseKey(passphrase="correct horse"), create=True)
    assert schema_version(connection) == 0
    assert migrate(connection) == [m.version for m in MIGRATIONS]
    assert migrate(connection) == []
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"profile", "sessions", "turns", "audio_segments", "feedback", "outbox", "subscription_cache"} <= tables
    assert "audio" not in tables


def test_a_failing_migration_rolls_back_whole(tmp_path: Path) -> None:
    connection = open_database(tmp_path / "p.db", DatabaseKey(passphrase="correct horse"), create=True)
    migrate(connection)
    latest = MIGRATIONS[-1].version
    broken = Migration(latest + 1, "half-applied", "CREATE TABLE extra (x); INSERT INTO missing VALUES (1)")
    with pytest.raises(Exception, match="missing"):
        migrate(connection, (*MIGRATIONS, broken))
    assert schema_version(connection) == latest
    tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "extra" not in tables


def test_a_database_from_a_newer_app_is_refused(tmp_path: Path) -> None:
    connection = open_database(tmp_path / "p.db", DatabaseKey(passphrase="correct horse"), create=True)
    connection.execute("PRAGMA user_version = 99")
    with pytest.raises(UserFacingError, match="newer version of the app"):
        migrate(connection)


class _MemoryKeyring:
    """An in-memory keyring backend (the OS keyring is absent headless)."""

    priority = 1

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}

    def get_keyring(self) -> _MemoryKeyring:
        return self

    def get_password(self, service: str, name: str) -> str | None:
        return self.entries.get((service, name))

    def set_password(self, service: str, name: str, value: str) -> None:
        self.entries[(service, name)] = value

    def delete_password(self, service: str, name: str) -> None:
        self.entries.pop((service, name), None)


class _FailKeyring(_MemoryKeyring):
    priority = 0


def test_keyring_keys_are_random_and_kept_only_in_the_keyring(tmp_path: Path) -> None:
    backend = _MemoryKeyring()
    keys = KeyringKeys(backend)
    assert keys.get("default") is None
    key = keys.create("default")
    assert key.raw is not None
    assert len(key.raw) == 32
    assert keys.get("default") == key
    assert keys.create("other") != key
    assert "raw" not in repr(key)
    assert key.raw.hex() not in repr(key)
    keys.delete("default")
    assert keys.get("default") is None


def test_no_keyring_means_a_clear_message_never_a_plaintext_fallback() -> None:
    keys = KeyringKeys(_FailKeyring())
    assert not keys.available()
    with pytest.raises(KeyUnavailable, match="no system keyring") as caught:
        keys.create("default")
    assert PASSPHRASE_ENV in caught.value.paragraph()


def test_passphrases_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSPHRASE_ENV, raising=False)
    assert passphrase_from_environment() is None
    monkeypatch.setenv(PASSPHRASE_ENV, "correct horse battery")
    assert passphrase_from_environment() == DatabaseKey(passphrase="correct horse battery")
    with pytest.raises(UserFacingError, match="too short"):
        passphrase_key("short")
