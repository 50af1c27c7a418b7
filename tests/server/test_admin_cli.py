"""The operator's command line (``python -m sync_server ...``) run as a subprocess against the running server's
database, with the effects checked over HTTP as a user would see them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync_server import __version__
from sync_server.core.migrations import head_revision
from tests.server.conftest import Backend
from tests.server.live import PASSWORD, REPO, Client, new_email, register_verified

pytestmark = pytest.mark.server


def cli(backend: Backend, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """``python -m sync_server admin --database-url <backend> ARGS`` with the server's environment."""
    return subprocess.run([sys.executable, "-m", "sync_server", "admin", "--database-url", backend.database_url,
                           *args], input=stdin, capture_output=True, text=True, timeout=60, cwd=REPO,
                          env=backend.server.environment(), check=False)


def listed(backend: Backend, email: str) -> str:
    result = cli(backend, "list")
    assert result.returncode == 0, result.stderr
    [line] = [line for line in result.stdout.splitlines() if line.startswith(email + "\t")]
    return line


def test_created_user_can_sign_in_and_is_listed(backend: Backend) -> None:
    email = new_email("operator-made")
    created = cli(backend, "create-user", email.upper(), "--password-stdin", "--verified", stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith(f"created {email} (")
    assert PASSWORD not in created.stdout + created.stderr

    client = Client(backend.server)
    assert client.login(email).status_code == 200
    account = client.get("/v1/account").json()
    assert account["email_verified"] is True
    assert account["plan"] == "free"
    assert listed(backend, email).split("\t")[2] == "free verified"

    taken = cli(backend, "create-user", email, "--password-stdin", stdin=PASSWORD + "\n")
    assert taken.returncode == 2
    assert f"An account already uses the address {email}" in taken.stderr


def test_create_user_refuses_a_weak_password(backend: Backend) -> None:
    email = new_email("weak")
    result = cli(backend, "create-user", email, "--password-stdin", stdin="short\n")
    assert result.returncode == 2
    assert "at least 10 characters" in result.stderr
    assert "Traceback" not in result.stderr
    assert Client(backend.server).login(email, "short").status_code == 401
    engine = sa.create_engine(backend.database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM users WHERE email = :e"), {"e": email}
                                      ).scalar_one() == 0
    finally:
        engine.dispose()


def test_granted_plan_shows_in_the_account(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    granted = cli(backend, "grant-plan", email, "premium", "--until", "2031-05-31", "--note", "Test school")
    assert granted.returncode == 0, granted.stderr
    assert granted.stdout.strip() == f"{email}: plan premium until 2031-05-31"
    account = client.get("/v1/account").json()
    assert account["plan"] == "premium"
    assert account["plan_expires_at"].startswith("2031-05-31T23:59")

    unknown = cli(backend, "grant-plan", email, "platinum")
    assert unknown.returncode == 2
    assert "Unknown plan 'platinum'" in unknown.stderr
    assert "free, premium, school" in unknown.stderr
    assert client.get("/v1/account").json()["plan"] == "premium"


def test_disabling_and_enabling_an_account(backend: Backend) -> None:
    client, email = register_verified(backend.server, backend.mail)
    disabled = cli(backend, "disable", email)
    assert disabled.returncode == 0, disabled.stderr
    assert disabled.stdout.strip() == f"{email}: disabled"
    assert client.get("/v1/account").status_code in (401, 403)
    assert client.post("/v1/auth/refresh", {"refresh_token": client.refresh_token}, auth=False
                       ).status_code in (401, 403)
    refused = Client(backend.server).login(email)
    assert refused.status_code == 403
    assert "disabled" in refused.json()["detail"]

    enabled = cli(backend, "enable", email)
    assert enabled.returncode == 0, enabled.stderr
    assert enabled.stdout.strip() == f"{email}: enabled"
    again = Client(backend.server)
    assert again.login(email).status_code == 200
    assert again.get("/v1/account").status_code == 200


def test_migrate_and_version(tmp_path: Path) -> None:
    database = tmp_path / "fresh.sqlite3"
    url = f"sqlite:///{database}"
    command = [sys.executable, "-m", "sync_server", "migrate", "--database-url", url]
    migrated = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=REPO, check=False)
    assert migrated.returncode == 0, migrated.stderr
    assert migrated.stdout.strip() == f"database at migration {head_revision()}"
    engine = sa.create_engine(url)
    try:
        tables = set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"users", "devices", "refresh_tokens", "email_tokens", "recovery_codes", "account_events",
            "rate_counters", "alembic_version"} <= tables

    version = subprocess.run([sys.executable, "-m", "sync_server", "--version"], capture_output=True, text=True,
                             timeout=60, cwd=REPO, check=False)
    assert version.returncode == 0
    assert version.stdout.strip().endswith(__version__)
