"""GDPR access and erasure over real HTTP: the export holds the account's data and no secrets, and deleting the
account leaves nothing of it in any table of the real database (checked directly), while others keep theirs."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from sync_server.models import Base
from tests.server.conftest import Backend
from tests.server.live import PASSWORD, Client, new_email, register_verified
from tests.server.test_two_factor import enable_two_factor

pytestmark = pytest.mark.server


@contextmanager
def database(backend: Backend) -> Iterator[sa.Connection]:
    engine = sa.create_engine(backend.database_url)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def all_rows(connection: sa.Connection) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every row of every table the server has, as (table, {column: value})."""
    for table in Base.metadata.sorted_tables:
        for row in connection.execute(sa.select(table)).mappings():
            yield table.name, dict(row)


def rows_mentioning(connection: sa.Connection, needles: Iterable[str]) -> list[tuple[str, dict[str, Any]]]:
    """The rows with any value containing one of ``needles`` (case-insensitive)."""
    lowered = [n.lower() for n in needles]
    return [(table, row) for table, row in all_rows(connection)
            if any(n in str(value).lower() for value in row.values() if value is not None for n in lowered)]


def keys_of(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in keys_of(v)}
    if isinstance(data, list):
        return {k for v in data for k in keys_of(v)}
    return set()


def test_export_holds_the_account_and_no_secrets(backend: Backend) -> None:
    server = backend.server
    laptop, email = register_verified(server, backend.mail)
    desktop = Client(server)
    assert desktop.login(email, device_name="Office desktop").status_code == 200
    assert Client(server).login(email, "not-" + PASSWORD).status_code == 401
    _, recovery_codes, enrolment = enable_two_factor(laptop)
    account = laptop.get("/v1/account").json()

    deadline = time.monotonic() + 10
    while True:  # a failed sign-in is recorded just after its answer has gone (so it takes no longer to answer)
        response = laptop.get("/v1/account/export")
        assert response.status_code == 200
        if "sign_in_failed" in response.text or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert response.headers["content-type"].startswith("application/json")
    export = response.json()
    assert export["account"]["id"] == account["id"]
    assert export["account"]["email"] == email
    assert export["account"]["email_verified_at"] is not None
    assert export["account"]["plan"] == "free"
    assert export["two_factor"]["enabled_at"] is not None
    assert export["two_factor"]["recovery_codes_unused"] == 10
    devices = {d["id"]: d for d in export["devices"]}
    assert set(devices) == {laptop.device_id, desktop.device_id}
    assert devices[desktop.device_id]["name"] == "Office desktop"
    assert devices[desktop.device_id]["last_address"] == desktop.address
    kinds = [e["kind"] for e in export["events"]]
    assert kinds[:2] == ["registered", "email_verified"]
    assert kinds.count("signed_in") == 2
    assert {"sign_in_failed", "two_factor_enabled"} <= set(kinds)
    assert {t["device_id"] for t in export["refresh_tokens"]} == {laptop.device_id, desktop.device_id}
    assert [c["purpose"] for c in export["mailed_codes"]] == ["verify"]

    assert not keys_of(export) & {"password", "password_hash", "totp_secret", "secret", "token_hash", "code_hash",
                                  "access_token", "refresh_token", "recovery_codes", "totp_last_step"}
    with database(backend) as connection:
        user_id = account["id"]
        stored = connection.execute(sa.text("SELECT password_hash, totp_secret FROM users WHERE id = :id"),
                                    {"id": user_id}).one()
        digests = [*connection.execute(sa.text(
            "SELECT token_hash FROM refresh_tokens JOIN devices ON devices.id = refresh_tokens.device_id "
            "WHERE devices.user_id = :id UNION ALL SELECT token_hash FROM email_tokens WHERE user_id = :id "
            "UNION ALL SELECT code_hash FROM recovery_codes WHERE user_id = :id"), {"id": user_id}).scalars()]
    assert stored.totp_secret == enrolment["secret"]
    assert len(digests) == 2 + 1 + 10  # two refresh tokens, the verification code, ten recovery codes
    text = response.text
    secrets = [PASSWORD, stored.password_hash, stored.totp_secret, *digests, *recovery_codes,
               *(c.replace("-", "") for c in recovery_codes), laptop.access_token, laptop.refresh_token,
               desktop.access_token, desktop.refresh_token]
    leaked = [s for s in secrets if s and s in text]
    assert not leaked
    assert "argon2" not in text


def test_deleting_the_account_erases_it_everywhere(backend: Backend) -> None:
    server, mail = backend.server, backend.mail
    neighbour, neighbour_email = register_verified(server, mail)
    neighbour_id = neighbour.get("/v1/account").json()["id"]

    email = new_email("erase-me")
    laptop, _ = register_verified(server, mail, email)
    desktop = Client(server)
    assert desktop.login(email).status_code == 200
    app, _, _ = enable_two_factor(laptop)
    assert laptop.post("/v1/account/email", {"new_email": new_email("pending"), "password": PASSWORD}
                       ).status_code == 202
    user_id = laptop.get("/v1/account").json()["id"]
    traces = [user_id, laptop.device_id or "", desktop.device_id or "", email]

    with database(backend) as connection:
        neighbour_before = rows_mentioning(connection, [neighbour_id, neighbour_email])
        mine = rows_mentioning(connection, traces)
    assert {table for table, _ in mine} >= {"users", "devices", "refresh_tokens", "email_tokens", "recovery_codes",
                                            "account_events"}

    wrong_password = laptop.post("/v1/account/delete", {"password": "not-" + PASSWORD, "code": app.code()})
    assert wrong_password.status_code == 403
    no_code = laptop.post("/v1/account/delete", {"password": PASSWORD})
    assert no_code.status_code == 403
    assert "Two-factor" in no_code.json()["detail"]
    assert laptop.get("/v1/account").status_code == 200

    deleted = laptop.post("/v1/account/delete", {"password": PASSWORD, "code": app.code()})
    assert deleted.status_code == 204, deleted.text
    assert laptop.get("/v1/account").status_code == 401
    assert desktop.get("/v1/devices").status_code == 401
    assert desktop.post("/v1/auth/refresh", {"refresh_token": desktop.refresh_token}, auth=False).status_code == 401
    assert Client(server).login(email).status_code == 401
    assert "deleted" in str(mail.wait_for(email, "account was deleted")["Subject"])

    with database(backend) as connection:
        left = rows_mentioning(connection, traces)
        neighbour_after = rows_mentioning(connection, [neighbour_id, neighbour_email])
        counters = [row["key"] for table, row in all_rows(connection) if table == "rate_counters"]
    if backend.name == "sqlite":  # the embedded server counts in a file of its own beside the database
        side = sa.create_engine(backend.database_url + "-ratelimits")
        with side.connect() as connection:
            rows = [dict(row) for row in connection.execute(sa.text("SELECT * FROM rate_counters")).mappings()]
        side.dispose()
        assert not [row for row in rows if any(t.lower() in str(v).lower() for v in row.values() for t in traces)]
        counters = [row["key"] for row in rows]
    assert left == []
    assert neighbour_after == neighbour_before
    assert counters
    assert all(len(key) == 64 for key in counters)
    assert neighbour.get("/v1/account").json()["email"] == neighbour_email
    export = neighbour.get("/v1/account/export").json()
    assert json.dumps(export).count(user_id) == 0
    assert export["devices"][0]["id"] == neighbour.device_id
