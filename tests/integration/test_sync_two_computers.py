"""Two computers of one candidate syncing through a real account server on a throwaway PostgreSQL, as the
candidate does it from the command line: register and verify on one, sign in on both, practise on both, sync,
and each sees the other's role-plays in its history with the same scores and the same progress. With practice
details on (one sync passphrase on both), the full feedback opens on the other computer, and the server's
database holds no word of a transcript: details travel sealed."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from oet_desktop.core.storage.repository import Profile
from oet_desktop.services.profile import ProfileGate
from tests.conftest import user_environment
from tests.integration.test_cli import CLI
from tests.keyring_backend import MemoryKeyring
from tests.server.live import PASSWORD, LiveServer, new_email, token_from
from tests.server.postgres import ThrowawayPostgres
from tests.server.smtp import MailCatcher
from tests.sync_samples import scored_session

pytestmark = [pytest.mark.server, pytest.mark.postgres]

PROFILE_PASSPHRASE = "two computers, one candidate"
SYNC_PASSPHRASE = "lantern orchard velvet nineteen"
SECRET_WORDS = {"laptop": "zanthoxylum", "desktop": "quincunxial"}
"""A word said in a turn on each computer, to be looked for in the server's database."""


@dataclass
class Server:
    server: LiveServer
    postgres: ThrowawayPostgres
    database: str
    mail: MailCatcher


@pytest.fixture(scope="module")
def account_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with ThrowawayPostgres() as cluster, MailCatcher() as mail:
        database = "sync_" + secrets.token_hex(4)
        url = cluster.create_database(database)
        with LiveServer(url, tmp_path_factory.mktemp("server"), mail=mail) as server:
            yield Server(server, cluster, database, mail)


@dataclass
class Computer:
    name: str
    home: Path

    @property
    def env(self) -> dict[str, str]:
        return {**os.environ, **user_environment(self.home), "OET_DESKTOP_PASSPHRASE": PROFILE_PASSPHRASE,
                "OET_DESKTOP_ACCOUNT_PASSWORD": PASSWORD, "OET_DESKTOP_SYNC_PASSPHRASE": SYNC_PASSPHRASE}

    def run(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=120, env=self.env,
                                stdin=subprocess.DEVNULL)
        if ok:
            assert result.returncode == 0, f"{self.name} {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stderr, result.stderr
        return result

    def gate(self) -> ProfileGate:
        return ProfileGate(self.home / "data" / "oet-desktop", MemoryKeyring(),
                           {"OET_DESKTOP_PASSPHRASE": PROFILE_PASSPHRASE})

    def practise(self, sessions: list[tuple[str, str, int]]) -> None:
        """Saves scored role-plays straight into the profile (as `practice` would, without the models): session
        id, scenario, and a score level that makes each session's scores its own."""
        gate = self.gate()
        opened = gate.open() if gate.exists() else gate.create(Profile(f"Amira on the {self.name}", "nursing"),
                                                               PROFILE_PASSPHRASE)
        try:
            for session_id, scenario_id, level in sessions:
                record, report = scored_session(session_id, scenario_id, level, SECRET_WORDS[self.name])
                opened.storage.call(lambda repo, r=record, s=session_id: repo.save_session(s, r, "finished",
                                                                                             with_audio=False))
                opened.storage.call(lambda repo, r=report, s=session_id: repo.save_feedback(s, r))
        finally:
            opened.storage.close()

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args).stdout)


LAPTOP_SESSIONS = [("20261201-090000-nursing-insulin-start-driver", "nursing-insulin-start-driver", 1),
                   ("20261203-090000-nursing-falls-ed-daughter", "nursing-falls-ed-daughter", 3)]
DESKTOP_SESSIONS = [("20261202-090000-nursing-child-asthma-inhalers", "nursing-child-asthma-inhalers", 2)]


def history(computer: Computer) -> dict[str, tuple[str, int | None, dict[str, int | None]]]:
    return {s["session_id"]: (s["status"], s["estimate"], s["scores"]) for s in computer.json("history", "--json")}


def server_text(account: Server) -> str:
    """Every row of every table of the server's database, as text."""
    with account.postgres.connect(account.database) as db:
        tables = [r[0] for r in db.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(str(row[0]) for table in tables
                         for row in db.execute(f'SELECT t::text FROM "{table}" t'))  # names from the catalogue


def test_two_computers_share_history_scores_progress_and_sealed_details(account_server: Server,
                                                                        tmp_path: Path) -> None:
    laptop, desktop = Computer("laptop", tmp_path / "laptop"), Computer("desktop", tmp_path / "desktop")
    laptop.practise(LAPTOP_SESSIONS)
    desktop.practise(DESKTOP_SESSIONS)
    url, email = account_server.server.url, new_email("candidate")

    # One account: registered and verified on the laptop, signed in on both.
    laptop.run("account", "register", "--email", email, "--server", url)
    code = token_from(account_server.mail.wait_for(email, "Verify"))
    assert "is verified" in laptop.run("account", "verify", code).stdout
    assert f"as {email}" in laptop.run("account", "login", "--email", email).stdout
    desktop.run("account", "login", "--email", email, "--server", url)
    assert "not signed in" not in desktop.run("account", "status").stdout

    # Sync: each computer's role-plays and scores reach the other.
    assert "Sent" in laptop.run("sync").stdout
    desktop.run("sync")
    laptop.run("sync")
    laptop_history, desktop_history = history(laptop), history(desktop)
    assert set(laptop_history) == {s[0] for s in LAPTOP_SESSIONS + DESKTOP_SESSIONS}
    assert laptop_history == desktop_history
    assert len({entry[1] for entry in laptop_history.values()}) == 3  # three different estimates
    assert all(entry[2] for entry in laptop_history.values())  # with their nine scores

    progress = laptop.run("report", "--progress").stdout
    assert "3 role-play(s)" in progress
    assert desktop.run("report", "--progress").stdout == progress

    # Without practice details the full report stays where it was made.
    elsewhere = desktop.run("report", LAPTOP_SESSIONS[0][0], ok=False)
    assert elsewhere.returncode == 2
    assert "practised on another computer" in elsewhere.stderr

    # With practice details on (the same passphrase on both), the full feedback opens on the other computer.
    for computer in (laptop, desktop):
        assert "sealed with your passphrase" in computer.run("account", "details", "on").stdout
    laptop.run("sync")
    desktop.run("sync")
    laptop.run("sync")
    for session_id, _, _ in LAPTOP_SESSIONS[:1]:
        assert desktop.json("report", session_id, "--json") == laptop.json("report", session_id, "--json")
    session_id = DESKTOP_SESSIONS[0][0]
    assert laptop.json("report", session_id, "--json") == desktop.json("report", session_id, "--json")

    status = laptop.json("account", "status", "--json")
    assert status["account"]["email"] == email
    assert status["sync"]["pending"] == 0
    assert status["sync"]["last_synced_at"]
    assert status["sync"]["details"]
    assert len(laptop.run("account", "devices").stdout.strip().splitlines()) == 2

    # The server holds summaries and scores in plain form, and no word of a transcript.
    stored = server_text(account_server)
    assert "nursing-insulin-start-driver" in stored
    assert "session_detail" in stored
    assert "feedback_report" in stored
    for word in SECRET_WORDS.values():
        assert word not in stored

    # Tokens and the sealing key are in the keyring (a file only in this test's stand-in for it); no other file of
    # the computer holds them, the password or the sync passphrase (the profile is encrypted, logs leave them out).
    keyring = json.loads((laptop.home / "test-keyring.json").read_text())
    [tokens_entry] = [name for name in keyring if "/account-tokens:" in name]
    assert any("/sync-details-key:" in name for name in keyring)
    secrets_here = [json.loads(keyring[tokens_entry])["refresh_token"], PASSWORD, SYNC_PASSPHRASE]
    for path in laptop.home.rglob("*"):
        if path.is_file() and path.name != "test-keyring.json":
            content = path.read_bytes()
            assert not any(secret.encode() in content for secret in secrets_here), path

    # Both profiles agree on who is practising and how often each role-play was practised.
    views = []
    for computer in (laptop, desktop):
        opened = computer.gate().open()
        try:
            views.append((opened.storage.call(lambda repo: repo.profile().name if repo.profile() else None),
                          opened.storage.call(lambda repo: repo.practised())))
        finally:
            opened.storage.close()
    assert views[0] == views[1]
    assert {scenario: count for scenario, (count, _) in views[0][1].items()} == {
        s[1]: 1 for s in LAPTOP_SESSIONS + DESKTOP_SESSIONS}
