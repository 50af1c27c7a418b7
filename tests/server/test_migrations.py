"""The Alembic migrations: they build an empty PostgreSQL or SQLite database (from code and from the
``migrate`` command), match the models exactly, go down and up again, and a server whose database is behind
says so on /readyz and tells the operator what to run."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from sync_server.core.migrations import alembic_config, current_revision, head_revision, upgrade
from sync_server.models import Base
from tests.server.live import REPO, LiveServer
from tests.server.postgres import ThrowawayPostgres

pytestmark = pytest.mark.server

TABLES = {"users", "devices", "refresh_tokens", "email_tokens", "recovery_codes", "account_events", "rate_counters",
          "sync_changes"}


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database: a fresh one in the throwaway PostgreSQL cluster, or a new SQLite file."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
        return
    cluster: ThrowawayPostgres = request.getfixturevalue("postgres")
    name = "migrations_" + secrets.token_hex(4)
    url = cluster.create_database(name)
    yield url
    cluster.drop_database(name)


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _tables(url: str) -> set[str]:
    engine = _engine(url)
    try:
        return set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def _revision(url: str) -> str | None:
    engine = _engine(url)
    try:
        return current_revision(engine)
    finally:
        engine.dispose()


def _model_diff(url: str, metadata: sa.MetaData = Base.metadata) -> list[object]:
    """What autogenerate would write to bring the database to ``metadata`` (types and server defaults compared)."""
    engine = _engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True,
                                                                   "compare_server_default": True})
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def test_there_is_one_head() -> None:
    assert head_revision() is not None


def test_upgrade_builds_an_empty_database_and_is_idempotent(empty_database: str) -> None:
    assert _tables(empty_database) == set()
    upgrade(empty_database)
    assert _tables(empty_database) == TABLES
    assert _revision(empty_database) == head_revision()
    upgrade(empty_database)  # a second run (every server start runs it) changes nothing and does not fail
    assert _revision(empty_database) == head_revision()


def test_migrate_command_builds_an_empty_database(empty_database: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("OET_SYNC_DATABASE_URL", None)
    result = subprocess.run([sys.executable, "-m", "sync_server", "migrate", "--database-url", empty_database,
                             "--data-dir", str(tmp_path / "data")], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    head = head_revision()
    assert head is not None
    assert head in result.stdout, result.stdout
    assert _revision(empty_database) == head
    assert _tables(empty_database) == TABLES


def test_models_match_the_migrations(empty_database: str) -> None:
    upgrade(empty_database)
    assert _model_diff(empty_database) == []
    # The comparison does look at column types: a model whose column type differs from the migrated table's is
    # reported (so the empty diff above means something).
    changed = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["users"].c.plan.type = sa.String(length=99)
    diff = _model_diff(empty_database, changed)
    assert any(isinstance(entry, list) and entry[0][0] == "modify_type" and entry[0][2:4] == ("users", "plan")
               for entry in diff), diff


def test_downgrade_to_base_and_upgrade_again(empty_database: str) -> None:
    upgrade(empty_database)
    config = alembic_config(empty_database)
    command.downgrade(config, "base")
    assert _tables(empty_database) == set()
    assert _revision(empty_database) is None
    upgrade(empty_database)
    assert _tables(empty_database) == TABLES
    assert _revision(empty_database) == head_revision()
    assert _model_diff(empty_database) == []


def test_readyz_says_when_the_database_is_behind(empty_database: str, tmp_path: Path) -> None:
    """An operator who rolled the database back (or deployed a newer server with ``--no-migrate``) sees 503 from
    /readyz with what to do; once ``migrate`` has run, the server is ready again without a restart."""
    with LiveServer(empty_database, tmp_path / "server") as server:
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        assert ready.status_code == 200
        assert ready.json()["migrations_current"] is True

        command.downgrade(alembic_config(empty_database), "base")
        behind = httpx.get(f"{server.url}/readyz", timeout=10)
        assert behind.status_code == 503, behind.text
        body = behind.json()
        assert body["status"] == "not_ready"
        assert body["database"] is True
        assert body["migrations_current"] is False
        assert "oet-sync-server migrate" in body["detail"]
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200  # alive, only not ready

        env = {**os.environ, "PYTHONPATH": str(REPO)}
        migrated = subprocess.run([sys.executable, "-m", "sync_server", "migrate", "--database-url", empty_database,
                                   "--data-dir", str(tmp_path / "server")],
                                  capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False)
        assert migrated.returncode == 0, migrated.stderr
        again = httpx.get(f"{server.url}/readyz", timeout=10)
        assert again.status_code == 200, again.text
        assert again.json()["migrations_current"] is True
