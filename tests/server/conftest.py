"""Session fixtures for the account-server tests: a throwaway PostgreSQL cluster and an SMTP mail catcher."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.server.live import LiveServer
from tests.server.postgres import ThrowawayPostgres
from tests.server.smtp import MailCatcher


@pytest.fixture(scope="session")
def postgres() -> Iterator[ThrowawayPostgres]:
    """A running throwaway PostgreSQL cluster, shared by the session; create a database per test in it."""
    with ThrowawayPostgres() as cluster:
        yield cluster


@pytest.fixture(scope="session")
def mail_catcher() -> Iterator[MailCatcher]:
    """A running SMTP server that keeps every message, shared by the session (``clear()`` it if needed)."""
    with MailCatcher() as catcher:
        yield catcher


@dataclass
class Backend:
    """One running server and what it runs on."""

    name: str
    server: LiveServer
    database_url: str
    mail: MailCatcher


@pytest.fixture(scope="session", params=["postgresql", "sqlite"])
def backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
            mail_catcher: MailCatcher) -> Iterator[Backend]:
    """A real server over real HTTP on PostgreSQL (2 workers) and on the embedded SQLite default (1 worker)."""
    data_dir = tmp_path_factory.mktemp(f"server-{request.param}")
    if request.param == "postgresql":
        cluster: ThrowawayPostgres = request.getfixturevalue("postgres")
        url = cluster.create_database("accounts_" + secrets.token_hex(4))
        workers = 2
    else:
        url = f"sqlite:///{data_dir / 'accounts.sqlite3'}"
        workers = 1
    with LiveServer(url, data_dir, workers=workers, mail=mail_catcher) as server:
        yield Backend(request.param, server, url, mail_catcher)
