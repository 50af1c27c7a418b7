"""What an operator relies on, against the real server: health and readiness, request ids, the JSON access log,
Prometheus metrics (summed over both workers on PostgreSQL) and the request-size cap."""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from tests.server.conftest import Backend
from tests.server.live import PASSWORD, Client, LiveServer, new_email, random_address, register_verified
from tests.server.smtp import MailCatcher

pytestmark = pytest.mark.server

GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def test_health_and_readiness(backend: Backend) -> None:
    health = httpx.get(f"{backend.server.url}/healthz", timeout=10)
    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    ready = httpx.get(f"{backend.server.url}/readyz", timeout=10)
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": True, "migrations_current": True, "detail": ""}


def test_every_response_carries_a_request_id(backend: Backend) -> None:
    client = Client(backend.server)
    answers = [client.get("/healthz"), client.get("/v1/account"), client.get("/no/such/route"),
               client.post("/v1/auth/login", {"email": "nope"}, auth=False)]
    assert [a.status_code for a in answers] == [200, 401, 404, 422]
    ids = [a.headers["x-request-id"] for a in answers]
    assert all(GENERATED_ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids)

    assert client.get("/healthz", headers={"X-Request-ID": "trace-4f1c2b9e"}).headers["x-request-id"] == \
        "trace-4f1c2b9e"
    for unsafe in ("has spaces in it", "x" * 200, "short", "inject\"quote"):
        echoed = client.get("/healthz", headers={"X-Request-ID": unsafe}).headers["x-request-id"]
        assert GENERATED_ID.match(echoed), (unsafe, echoed)


def log_entries(server: LiveServer) -> Iterator[dict[str, Any]]:
    for line in server.log_path.read_text(errors="replace").splitlines():
        if line.startswith("{"):
            yield json.loads(line)


def test_access_log_is_json_with_the_request_id_and_no_passwords(backend: Backend) -> None:
    server = backend.server
    client, email = register_verified(server, backend.mail)
    wrong_password = "Marker-" + secrets.token_hex(8)
    request_id = "oplog-" + secrets.token_hex(8)
    refused = client.post("/v1/auth/login", {"email": email, "password": wrong_password}, auth=False,
                          headers={"X-Request-ID": request_id})
    assert refused.status_code == 401
    weak = "Weak-" + secrets.token_hex(2)
    assert client.post("/v1/auth/register", {"email": new_email(), "password": weak}, auth=False).status_code == 422
    changed = client.post("/v1/account/password", {"current_password": PASSWORD, "new_password": PASSWORD + "-2"})
    assert changed.status_code == 204
    link_token = secrets.token_urlsafe(32)  # a code in a query string (the verification link) stays out too
    assert client.get("/v1/auth/verify-email", params={"token": link_token}, auth=False).status_code == 400

    deadline = time.monotonic() + 5
    while not (mine := [e for e in log_entries(server) if e.get("request_id") == request_id]):
        assert time.monotonic() < deadline, server.log_tail()
        time.sleep(0.05)
    [entry] = mine
    assert entry["method"] == "POST"
    assert entry["route"] == "/v1/auth/login"
    assert entry["path"] == "/v1/auth/login"
    assert entry["status"] == 401
    assert isinstance(entry["duration_ms"], int | float)
    assert 0 <= entry["duration_ms"] < 30_000
    assert entry["level"] == "info"
    assert "time" in entry

    text = server.log_path.read_text(errors="replace")
    for secret in (PASSWORD, PASSWORD + "-2", wrong_password, weak, link_token, client.access_token,
                   client.refresh_token):
        assert secret
        assert secret not in text


def metrics(url: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of ``/metrics`` by name and labels (a fresh connection, so either worker may answer)."""
    response = httpx.get(f"{url}/metrics", timeout=10, headers={"Connection": "close"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.text) for s in family.samples}


def value(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_and_sign_ins_across_workers(backend: Backend) -> None:
    server = backend.server
    _, email = register_verified(server, backend.mail)
    before = metrics(server.url)
    signed_in, wrong = 6, 3
    for attempt in range(signed_in + wrong):
        password = PASSWORD if attempt < signed_in else "not-" + PASSWORD
        with httpx.Client(base_url=server.url, timeout=30) as fresh:  # a new connection: either worker
            response = fresh.post("/v1/auth/login", json={"email": email, "password": password},
                                  headers={"X-Forwarded-For": random_address()})
        assert response.status_code == (200 if attempt < signed_in else 401)
    after = metrics(server.url)

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert grew("oet_sign_ins_total", outcome="signed_in") >= signed_in
    assert grew("oet_sign_ins_total", outcome="wrong_password") >= wrong
    route = {"method": "POST", "route": "/v1/auth/login"}
    assert grew("oet_http_requests_total", status="200", **route) >= signed_in
    assert grew("oet_http_requests_total", status="401", **route) >= wrong
    assert grew("oet_http_request_duration_seconds_count", **route) >= signed_in + wrong
    assert grew("oet_http_request_duration_seconds_bucket", le="+Inf", **route) >= signed_in + wrong
    assert grew("oet_http_request_duration_seconds_sum", **route) > 0


def test_too_large_bodies_are_refused_with_413(backend: Backend) -> None:
    client = Client(backend.server)
    padding = "x" * (65 * 1024)
    declared = client.post("/v1/auth/login", {"email": new_email(), "password": padding}, auth=False)
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith("application/json")
    assert "larger than the server accepts" in declared.json()["detail"]
    assert GENERATED_ID.match(declared.headers["x-request-id"])

    def chunks() -> Iterator[bytes]:  # no Content-Length: the server counts as it reads
        yield b'{"email": "a@example.org", "password": "'
        for _ in range(80):
            yield b"y" * 1024
        yield b'"}'

    streamed = client.request("POST", "/v1/auth/login", auth=False, content=chunks(),
                              headers={"Content-Type": "application/json"})
    assert streamed.status_code == 413
    assert "larger than the server accepts" in streamed.json()["detail"]
    assert client.get("/healthz").status_code == 200


def test_an_unexpected_error_is_a_plain_500_the_operator_can_trace(tmp_path: Path, mail_catcher: MailCatcher) -> None:
    # A server of its own whose database has lost a table: every registration then fails inside the server.
    with LiveServer(f"sqlite:///{tmp_path / 'accounts.sqlite3'}", tmp_path, mail=mail_catcher) as server:
        engine = sa.create_engine(server.database_url)
        try:
            with engine.begin() as connection:
                connection.execute(sa.text("DROP TABLE account_events"))
        finally:
            engine.dispose()
        request_id = "failing-" + secrets.token_hex(6)
        client = Client(server)
        failed = client.post("/v1/auth/register", {"email": new_email(), "password": PASSWORD}, auth=False,
                             headers={"X-Request-ID": request_id})
        assert failed.status_code == 500
        assert failed.json() == {"detail": "The server could not complete this request; it has been logged.",
                                 "request_id": request_id}
        assert failed.headers["x-request-id"] == request_id
        assert client.get("/healthz").status_code == 200
    errors = [e for e in log_entries(server) if e["level"] == "error"]
    assert [e["request_id"] for e in errors] == [request_id]  # logged once, under the id the user was given
    assert "account_events" in errors[0]["exception"]
