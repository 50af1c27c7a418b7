"""Bad input is refused with a clear JSON answer: bodies over the size limit (declared or streamed) with 413, and
malformed JSON, wrong types, bad email addresses and wrong content types with a 422 naming the field. No answer
echoes a password back, and none shows a stack trace or a file path."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator

import httpx
import pytest

from tests.server.conftest import Backend
from tests.server.live import REPO, Client, register_verified

LIMIT = 64 * 1024
"""The default OET_SYNC_MAX_REQUEST_BYTES."""
LEAK_MARKERS = ("Traceback", 'File "', str(REPO), "site-packages", "sync_server/", ".py\"", "sqlalchemy", "psycopg")

pytestmark = pytest.mark.server


def _clean(response: httpx.Response) -> None:
    """No stack trace, file path or library name in the answer, and the answer is JSON."""
    for marker in LEAK_MARKERS:
        assert marker.lower() not in response.text.lower(), f"{marker!r} in {response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), response.headers


def _fields(response: httpx.Response) -> list[list[str | int]]:
    assert response.status_code == 422, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, list), detail
    assert all(item["msg"] for item in detail), detail
    return [item["loc"] for item in detail]


def _chunks(total: int, size: int = 8192) -> Iterator[bytes]:
    yield b'{"email": "someone@example.org", "password": "'
    sent = 0
    while sent < total:
        yield b"a" * size
        sent += size
    yield b'"}'


def test_bodies_over_the_limit_are_refused(backend: Backend) -> None:
    client = Client(backend.server)
    big = {"email": "someone@example.org", "password": "a" * (LIMIT + 100)}
    declared = client.post("/v1/auth/login", big, auth=False)
    assert declared.status_code == 413, declared.text
    assert str(LIMIT) in declared.json()["detail"]
    _clean(declared)

    streamed = client.request("POST", "/v1/auth/login", content=_chunks(LIMIT + 8192), auth=False,
                              headers={"Content-Type": "application/json"})
    assert streamed.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in streamed.request.headers
    assert streamed.status_code == 413, streamed.text
    assert str(LIMIT) in streamed.json()["detail"]
    _clean(streamed)

    # Just under the limit is read and judged on its content (a password too long: 422), not refused for size.
    under = client.post("/v1/auth/login", {"email": "someone@example.org", "password": "a" * (LIMIT - 200)},
                        auth=False)
    assert len(under.request.content) < LIMIT
    assert _fields(under) == [["body", "password"]]
    _clean(under)
    signed_in, _ = register_verified(backend.server, backend.mail)
    protected = signed_in.post("/v1/account/password", {"current_password": "x" * LIMIT, "new_password": "y"})
    assert protected.status_code == 413, protected.text


def test_malformed_bodies_get_422(backend: Backend) -> None:
    client = Client(backend.server)
    json_type = {"Content-Type": "application/json"}
    cases = {
        "truncated JSON": b'{"email": "someone@example.org", "password": ',
        "not UTF-8": b'{"email": "\xff\xfe@example.org", "password": "x"}',
        "nested too deep": b"[" * 50_000,
        "a list, not an object": b'["someone@example.org", "password"]',
        "empty": b"",
    }
    for name, content in cases.items():
        response = client.request("POST", "/v1/auth/login", content=content, headers=json_type, auth=False)
        assert response.status_code == 422, (name, response.status_code, response.text)
        assert response.json()["detail"][0]["loc"][0] == "body", (name, response.text)
        _clean(response)
    for content_type, content in (("text/plain", json.dumps({"email": "someone@example.org", "password": "x"})),
                                  ("application/x-www-form-urlencoded", "email=someone%40example.org&password=x"),
                                  ("multipart/form-data; boundary=x", "--x--")):
        response = client.request("POST", "/v1/auth/login", content=content.encode(), auth=False,
                                  headers={"Content-Type": content_type})
        assert _fields(response) == [["body"]], (content_type, response.text)
        _clean(response)


def test_wrong_types_name_the_field(backend: Backend) -> None:
    client = Client(backend.server)
    response = client.post("/v1/auth/login", {"email": 12, "password": ["x"], "device_name": {"a": 1}}, auth=False)
    assert sorted(_fields(response)) == [["body", "device_name"], ["body", "email"], ["body", "password"]]
    _clean(response)
    response = client.post("/v1/auth/login", {"email": "someone@example.org"}, auth=False)
    assert _fields(response) == [["body", "password"]]
    assert response.json()["detail"][0]["type"] == "missing"
    signed_in, _ = register_verified(backend.server, backend.mail)
    response = signed_in.post("/v1/account/two-factor/confirm", {"code": 123456})
    assert _fields(response) == [["body", "code"]]
    response = signed_in.request("DELETE", "/v1/devices/" + "d" * 65)
    assert _fields(response) == [["path", "device_id"]]
    _clean(response)


def test_bad_email_addresses_get_422(backend: Backend) -> None:
    client = Client(backend.server)
    for email in ("not-an-email", "two@@example.org", "someone@", "@example.org", "a" * 10_000 + "@example.org",
                  "someone@" + "b" * 300 + ".org", "some one@example.org"):
        for path in ("/v1/auth/register", "/v1/auth/login", "/v1/auth/password-reset"):
            body = {"email": email} if path.endswith("reset") else {"email": email, "password": "x" * 12}
            response = client.post(path, body, auth=False)
            assert _fields(response) == [["body", "email"]], (path, email[:40], response.text)
            assert len(response.text) < 2000, "the answer should not repeat a long input"
            _clean(response)


def test_refusals_never_echo_the_password(backend: Backend) -> None:
    canary = "Canary-" + secrets.token_hex(8)
    client = Client(backend.server)
    signed_in, email = register_verified(backend.server, backend.mail)
    attempts = [
        (client, "/v1/auth/login", {"email": "not-an-email", "password": canary}),
        (client, "/v1/auth/login", {"email": "someone@example.org", "password": canary, "unknown": canary}),
        (client, "/v1/auth/login", {"email": "someone@example.org", "password": canary * 20}),  # too long
        (client, "/v1/auth/login", {"email": email, "password": canary}),  # wrong password: 401
        (client, "/v1/auth/register", {"email": "new-" + email, "password": "password"}),  # too common
        (client, "/v1/auth/register", {"email": "canary@example.org", "password": canary[:9]}),  # too short
        (client, "/v1/auth/register", {"email": canary.lower() + "@example.org", "password": canary}),  # has email
        (signed_in, "/v1/account/password", {"current_password": canary, "new_password": canary}),  # wrong: 403
        (signed_in, "/v1/account/delete", {"password": canary, "code": canary}),
        (signed_in, "/v1/account/two-factor", {"password": [canary]}),
    ]
    seen = []
    for who, path, body in attempts:
        response = who.post(path, body, auth=who is signed_in)
        seen.append(response.status_code)
        assert 400 <= response.status_code < 500, (path, response.text)
        assert canary.lower() not in response.text.lower(), (path, body, response.text)
        _clean(response)
    assert seen.count(422) >= 6, seen
