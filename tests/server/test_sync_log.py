"""The sync log over real HTTP on both databases: pushes are kept once per idempotency key, pulls page through the
log in order from a cursor, a cursor that does not fit the log asks for a resync, and one account never sees
another's changes."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from tests.server.conftest import Backend
from tests.server.live import Client, new_email, register_verified

pytestmark = pytest.mark.server
PROTOCOL = {"OET-Sync-Protocol": "1"}


def change(entity_id: str, **data: Any) -> dict[str, Any]:
    return {"key": secrets.token_hex(12), "entity": "session", "entity_id": entity_id, "op": "upsert",
            "changed_at": datetime.now(UTC).isoformat(), "origin": "laptop-0001",
            "data": data or {"status": "finished"}}


def push(client: Client, changes: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/v1/sync/changes", {"changes": changes}, headers=PROTOCOL)
    assert response.status_code == 200, response.text
    return dict(response.json())


def pull_all(client: Client, cursor: str = "", limit: int = 500) -> tuple[list[dict[str, Any]], str]:
    seen: list[dict[str, Any]] = []
    while True:
        response = client.get("/v1/sync/changes", params={"cursor": cursor, "limit": limit}, headers=PROTOCOL)
        assert response.status_code == 200, response.text
        body = response.json()
        seen += body["changes"]
        cursor = body["cursor"]
        if not body["more"]:
            return seen, cursor


def test_pushes_are_kept_once_and_pulled_in_order_from_a_cursor(backend: Backend) -> None:
    laptop, email = register_verified(backend.server, backend.mail)
    desktop = Client(backend.server)
    assert desktop.login(email).status_code == 200
    batch = [change(f"s{i}", status="finished", turns=i) for i in range(7)]
    assert push(laptop, batch) == {"accepted": 7, "duplicates": 0}
    assert push(laptop, batch[3:]) == {"accepted": 0, "duplicates": 4}  # a batch sent again after a lost answer

    pulled, cursor = pull_all(desktop, limit=3)  # three pages
    assert [c["key"] for c in pulled] == [c["key"] for c in batch]
    assert [c["data"]["turns"] for c in pulled] == list(range(7))
    assert pulled[0]["changed_at"].startswith(batch[0]["changed_at"][:19])
    later = [change("s7")]
    push(laptop, later)
    more, _ = pull_all(desktop, cursor)
    assert [c["key"] for c in more] == [later[0]["key"]]


def test_a_cursor_that_does_not_fit_the_log_asks_for_a_resync(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    push(client, [change("a"), change("b")])
    _, cursor = pull_all(client)
    other, _ = register_verified(backend.server, backend.mail)
    push(other, [change("x")])
    for bad in (cursor[:-2] + "AA", "bm9wZQ", "OTk5OTk6YWJj"):  # altered, garbage, a place the log never had
        answer = client.get("/v1/sync/changes", params={"cursor": bad}, headers=PROTOCOL)
        assert answer.status_code == 409, answer.text
        assert answer.json()["code"] == "resync_required"
    theirs = other.get("/v1/sync/changes", params={"cursor": cursor}, headers=PROTOCOL)
    assert theirs.status_code == 409  # another account's cursor does not fit this account's log

    # A server restored from an older backup: the change the cursor points at is gone, and the log goes on with
    # new changes from other computers. The old cursor must not silently skip them.
    _, cursor_after_x = pull_all(other)
    engine = sa.create_engine(backend.database_url)
    with engine.begin() as connection:
        newest = connection.execute(sa.text("SELECT max(seq) FROM sync_changes")).scalar_one()
        connection.execute(sa.text("DELETE FROM sync_changes WHERE seq = :seq"), {"seq": newest})
    engine.dispose()
    push(other, [change("y")])
    restored = other.get("/v1/sync/changes", params={"cursor": cursor_after_x}, headers=PROTOCOL)
    assert restored.status_code == 409, restored.text
    assert [c["entity_id"] for c in pull_all(other)[0]] == ["y"]  # the full pull the app then makes


def test_one_account_never_sees_another_accounts_changes(backend: Backend) -> None:
    alice, _ = register_verified(backend.server, backend.mail)
    bob, _ = register_verified(backend.server, backend.mail)
    push(alice, [change("alice-1", note="alice's")])
    push(bob, [change("bob-1", note="bob's")])
    assert [c["entity_id"] for c in pull_all(alice)[0]] == ["alice-1"]
    assert [c["entity_id"] for c in pull_all(bob)[0]] == ["bob-1"]
    same_key = [{**change("bob-2"), "key": pull_all(alice)[0][0]["key"]}]
    assert push(bob, same_key)["accepted"] == 1  # keys are per account: Bob cannot shadow Alice's change


def test_protocol_version_unverified_accounts_and_bad_changes_get_clear_answers(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    missing = client.post("/v1/sync/changes", {"changes": [change("a")]})
    assert missing.status_code == 426
    assert "Update OET Desktop" in missing.json()["detail"]
    assert client.get("/v1/sync/changes", headers={"OET-Sync-Protocol": "2"}).status_code == 426

    naive = {**change("a"), "changed_at": "2026-12-01T10:00:00"}
    assert client.post("/v1/sync/changes", {"changes": [naive]}, headers=PROTOCOL).status_code == 422
    both = {**change("a"), "sealed": "A" * 40}
    assert client.post("/v1/sync/changes", {"changes": [both]}, headers=PROTOCOL).status_code == 422
    unknown = {**change("a"), "entity": "audio"}
    assert client.post("/v1/sync/changes", {"changes": [unknown]}, headers=PROTOCOL).status_code == 422
    too_many = [change(f"n{i}") for i in range(501)]
    assert client.post("/v1/sync/changes", {"changes": too_many}, headers=PROTOCOL).status_code == 422

    unverified = Client(backend.server)
    email = new_email()
    assert unverified.post("/v1/auth/register", {"email": email, "password": "violet-harbour-71-lantern"},
                           auth=False).status_code == 202
    assert unverified.login(email).status_code == 200
    refused = unverified.post("/v1/sync/changes", {"changes": [change("a")]}, headers=PROTOCOL)
    assert refused.status_code == 403
    assert "Verify your email" in refused.json()["detail"]


def test_a_sealed_push_of_a_megabyte_is_accepted_and_comes_back_unchanged(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    blob = secrets.token_urlsafe(1_000_000)[:1_000_000]
    sealed = {**change("detail-1"), "entity": "session_detail", "data": None, "sealed": blob}
    assert push(client, [sealed])["accepted"] == 1
    pulled, _ = pull_all(client)
    assert pulled[0]["sealed"] == blob
    assert pulled[0]["data"] is None


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_pushes_reach_a_puller_complete_and_in_order(backend: Backend) -> None:
    """Two computers push at once while a third pulls as it goes: the puller ends with every change exactly once,
    and never sees a later change before an earlier one of the same account (pushes commit in log order)."""
    first, email = register_verified(backend.server, backend.mail)
    second = Client(backend.server)
    reader = Client(backend.server)
    assert second.login(email).status_code == 200
    assert reader.login(email).status_code == 200
    sent: list[str] = []
    lock = threading.Lock()

    def writer(client: Client, tag: str) -> None:
        for round_ in range(15):
            batch = [change(f"{tag}-{round_}-{i}") for i in range(4)]
            push(client, batch)
            with lock:
                sent.extend(c["key"] for c in batch)

    threads = [threading.Thread(target=writer, args=(c, t)) for c, t in ((first, "a"), (second, "b"))]
    for thread in threads:
        thread.start()
    seen: list[str] = []
    cursor = ""
    while any(t.is_alive() for t in threads):
        pulled, cursor = pull_all(reader, cursor, limit=7)
        seen += [c["key"] for c in pulled]
    for thread in threads:
        thread.join()
    pulled, cursor = pull_all(reader, cursor)
    seen += [c["key"] for c in pulled]
    assert len(seen) == len(set(seen)) == len(sent) == 120
    assert set(seen) == set(sent)
    everything, _ = pull_all(reader)
    assert [c["key"] for c in everything] == seen  # what was pulled bit by bit is the log's own order


def test_details_only_travel_sealed_summaries_only_plain_and_times_not_far_ahead(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    plain_detail = {**change("s1"), "entity": "session_detail", "data": {"turns": [{"text": "planted"}]}}
    sealed_summary = {**change("s1"), "data": None, "sealed": "A" * 40}
    empty = {**change("s1"), "data": None}
    ahead = {**change("s1"), "changed_at": "2031-01-01T00:00:00+00:00"}
    for bad, says in ((plain_detail, "only a sealed payload"), (sealed_summary, "only plain data"),
                      (empty, "only plain data"), (ahead, "a day ahead")):
        answer = client.post("/v1/sync/changes", {"changes": [bad]}, headers=PROTOCOL)
        assert answer.status_code == 422, answer.text
        assert says in answer.text
    tombstone = {**change("s1"), "op": "delete", "data": None}
    assert push(client, [tombstone])["accepted"] == 1


def test_a_pull_page_of_large_sealed_details_stays_a_few_megabytes(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    blobs = [{**change(f"d{i}"), "entity": "session_detail", "data": None,
              "sealed": secrets.token_urlsafe(1_100_000)[:1_400_000]} for i in range(6)]
    for pair in (blobs[:2], blobs[2:4], blobs[4:]):
        assert push(client, pair)["accepted"] == 2
    pages = []
    cursor = ""
    while True:
        response = client.get("/v1/sync/changes", params={"cursor": cursor}, headers=PROTOCOL)
        assert response.status_code == 200
        body = response.json()
        pages.append(len(body["changes"]))
        assert len(response.content) < 5 * 1024 * 1024
        cursor = body["cursor"]
        if not body["more"]:
            break
    assert sum(pages) == 6
    assert len(pages) >= 2
