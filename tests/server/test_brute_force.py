"""Guessing attacks against the two-worker PostgreSQL server: the database-backed limits hold whichever worker
answers. The attacks go over kept-alive connections to each worker in turn, and which worker holds a connection is
read from /proc, so "both workers served them" is checked, not assumed. Figures go to
bench-results/server-brute-force.json."""

from __future__ import annotations

import os
import random
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.results import write_result
from tests.server.conftest import Backend
from tests.server.live import PASSWORD, LiveServer, new_email, random_address, register_verified

pytestmark = [pytest.mark.server, pytest.mark.postgres]
FIGURES: dict[str, Any] = {}


def _sign_in(http: httpx.Client, email: str, password: str, address: str) -> httpx.Response:
    return http.post("/v1/auth/login", json={"email": email, "password": password},
                     headers={"X-Forwarded-For": address})


def _refresh(http: httpx.Client, token: str, address: str) -> httpx.Response:
    return http.post("/v1/auth/refresh", json={"refresh_token": token}, headers={"X-Forwarded-For": address})


def _retry_after(response: httpx.Response) -> int:
    value = response.headers.get("retry-after", "")
    assert value.isdigit(), f"429 without a whole-seconds Retry-After: {value!r}"
    assert int(value) > 0, value
    return int(value)


def _workers(server: LiveServer) -> list[int]:
    """The uvicorn worker processes under the server (children started through multiprocessing's spawn)."""
    parent = server._process.pid if server._process else None
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == parent and b"spawn_main" in cmdline:
            found.append(int(stat.parent.name))
    return sorted(found)


class Workers:
    """Which of the server's workers holds a kept-alive connection: the server side of the connection (found in
    /proc/net/tcp by the client's port) is a socket that exactly one worker has open. Linux only."""

    def __init__(self, server: LiveServer) -> None:
        self.server = server
        self.pids = _workers(server)
        self.visible = len(self.pids) > 1 and Path("/proc/net/tcp").exists()

    def of(self, response: httpx.Response) -> int:
        """The worker on the other end of the (still open) connection that carried ``response``."""
        client_port = response.extensions["network_stream"].get_extra_info("client_addr")[1]
        inodes = set()
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            if (int(fields[1].split(":")[1], 16), int(fields[2].split(":")[1], 16)) == (self.server.port, client_port):
                inodes.add(f"socket:[{fields[9]}]")
        owners = set()
        for pid in self.pids:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                try:
                    if os.readlink(fd) in inodes:
                        owners.add(pid)
                except OSError:
                    continue
        assert len(owners) == 1, f"the connection from port {client_port} is held by {owners or 'no worker'}"
        return owners.pop()

    def connections(self, count: int = 8) -> dict[httpx.Client, int]:
        """``count`` kept-alive connections and the worker each reached, at least one per worker. (Opened in
        parallel: the kernel hands a burst of new connections to both workers, a sequence often to one.)"""
        for _ in range(10):
            opened = [httpx.Client(base_url=self.server.url, timeout=30) for _ in range(count)]
            with ThreadPoolExecutor(max_workers=count) as pool:
                answers = list(pool.map(lambda http: http.get("/healthz"), opened))
            reached = {http: self.of(answer) for http, answer in zip(opened, answers, strict=True)}
            if set(reached.values()) == set(self.pids):
                return reached
            for http in opened:
                http.close()
        raise AssertionError("could not open connections to every worker in 10 tries")

    def pair(self) -> tuple[httpx.Client, httpx.Client]:
        """A connection to each of two workers."""
        by_worker = {pid: http for http, pid in self.connections().items()}
        return by_worker[self.pids[0]], by_worker[self.pids[1]]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_password_guessing_is_stopped_across_workers(backend: Backend) -> None:
    server = backend.server
    _, email = register_verified(server, backend.mail)
    attacker, owner = random_address(), random_address()
    workers = Workers(server)
    if workers.visible:
        http = list(workers.pair())
    else:  # a new connection per request at least lets the kernel pick either worker
        http = [httpx.Client(base_url=server.url, timeout=30, headers={"Connection": "close"})]
        print("\nwhich worker answers cannot be seen here (no /proc): the per-worker check is not made")

    answers = [_sign_in(http[i % len(http)], email, f"guess-{i}-{random.random()}", attacker) for i in range(100)]
    served_by = [workers.of(r) for r in answers] if workers.visible else []
    statuses = [r.status_code for r in answers]
    counts = Counter(statuses)
    per_worker = {str(pid): served_by.count(pid) for pid in workers.pids} if workers.visible else "not visible"
    waits = [_retry_after(r) for r in answers if r.status_code == 429]
    print(f"\n100 wrong passwords from one address: {counts[401]} x 401, {counts[429]} x 429 "
          f"(Retry-After {min(waits)}-{max(waits)} s); requests per worker {per_worker}")
    assert statuses[:5] == [401] * 5, statuses[:10]
    assert statuses[5:] == [429] * 95, Counter(statuses[5:])
    assert counts[429] >= 90
    assert all(0 < w <= 900 for w in waits)
    if workers.visible:  # alternate requests went to alternate workers, the five 401s included
        assert served_by == [workers.pids[i % 2] for i in range(100)], served_by

    # The owner, from another computer, still signs in; the attacking address stays locked out.
    from_owner = _sign_in(http[0], email, PASSWORD, owner)
    assert from_owner.status_code == 200, from_owner.text
    assert from_owner.json()["status"] == "signed_in"
    from_attacker = _sign_in(http[-1], email, PASSWORD, attacker)
    assert from_attacker.status_code == 429, from_attacker.text
    _retry_after(from_attacker)
    for connection in http:
        connection.close()
    FIGURES["password_guessing"] = {
        "attempts": 100, "answered_401": counts[401], "answered_429": counts[429],
        "retry_after_seconds": [min(waits), max(waits)], "requests_per_worker": per_worker,
        "owner_from_other_address": from_owner.status_code, "right_password_from_attacker": from_attacker.status_code}
    write_result("server-brute-force", FIGURES)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_sign_in_attempts_per_address_are_capped_across_workers(backend: Backend) -> None:
    server = backend.server
    workers = Workers(server)
    connections = (workers.connections() if workers.visible
                   else {httpx.Client(base_url=server.url, timeout=30): 0 for _ in range(8)})
    address = random_address()
    emails = [new_email("nobody") for _ in range(70)]
    lanes = list(connections)

    def lane(index: int) -> list[httpx.Response]:  # each connection sends its share in turn, all lanes at once
        return [_sign_in(lanes[index], e, "not-the-password-1", address) for e in emails[index::len(lanes)]]

    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        by_lane = list(pool.map(lane, range(len(lanes))))
    answers = [r for responses in by_lane for r in responses]
    per_worker: dict[str, int] | str = "not visible"
    if workers.visible:
        per_worker = {str(pid): sum(len(by_lane[i]) for i, http in enumerate(lanes) if connections[http] == pid)
                      for pid in workers.pids}
    counts = Counter(r.status_code for r in answers)
    print(f"\n70 sign-ins for unknown accounts from one address, {len(lanes)} at a time: {counts[401]} x 401, "
          f"{counts[429]} x 429; requests per worker {per_worker}")
    assert counts[401] == 60, counts  # the rule's 60 per 15 minutes, exactly, however the workers interleave
    assert counts[429] == 10, counts
    for response in answers:
        if response.status_code == 429:
            _retry_after(response)
    elsewhere = _sign_in(lanes[0], new_email("nobody"), "not-the-password-1", random_address())
    assert elsewhere.status_code == 401, elsewhere.text
    for http in lanes:
        http.close()
    FIGURES["attempts_per_address"] = {"attempts": 70, "parallel": len(lanes), "answered_401": counts[401],
                                       "answered_429": counts[429], "requests_per_worker": per_worker}
    write_result("server-brute-force", FIGURES)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_parallel_guesses_cannot_outrun_the_limit(backend: Backend) -> None:
    """Guesses sent all at once, over several connections to both workers, get no more than the rule's 5 tries:
    each is counted before its password is checked."""
    server = backend.server
    _, email = register_verified(server, backend.mail)
    workers = Workers(server)
    connections = (workers.connections() if workers.visible
                   else {httpx.Client(base_url=server.url, timeout=30): 0 for _ in range(8)})
    lanes = list(connections)
    address = random_address()

    def lane(index: int) -> list[httpx.Response]:
        return [_sign_in(lanes[index], email, f"wrong-guess-{index}-{n}", address) for n in range(4)]

    with ThreadPoolExecutor(max_workers=len(lanes)) as pool:
        answers = [r for responses in pool.map(lane, range(len(lanes))) for r in responses]
    counts = Counter(r.status_code for r in answers)
    print(f"\n{len(answers)} wrong passwords, {len(lanes)} at a time: {counts[401]} x 401, {counts[429]} x 429")
    assert counts[401] == 5, counts
    assert counts[429] == len(answers) - 5, counts
    owner = _sign_in(lanes[0], email, PASSWORD, random_address())
    assert owner.status_code == 200, owner.text
    for http in lanes:
        http.close()
    FIGURES["parallel_guesses"] = {"attempts": len(answers), "parallel": len(lanes), "answered_401": counts[401],
                                   "answered_429": counts[429]}
    write_result("server-brute-force", FIGURES)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_reused_refresh_token_signs_the_device_out(backend: Backend) -> None:
    server = backend.server
    client, email = register_verified(server, backend.mail)
    workers = Workers(server)
    one, other = workers.pair() if workers.visible else (client.http, client.http)
    address = client.address
    first = client.refresh_token
    assert first is not None
    second = _refresh(one, first, address)
    assert second.status_code == 200, second.text
    third = _refresh(other, second.json()["refresh_token"], address)
    assert third.status_code == 200, third.text
    latest = third.json()

    stolen = _refresh(one, first, random_address())  # the first token again, after its successor was used
    assert stolen.status_code == 401, stolen.text
    assert "signed out" in stolen.json()["detail"]
    assert _refresh(other, latest["refresh_token"], address).status_code == 401
    after = one.get("/v1/account", headers={"Authorization": f"Bearer {latest['access_token']}"})
    assert after.status_code == 401, after.text
    if workers.visible:  # the rotation, the reuse and the revocation's effect were seen by different workers
        assert workers.of(stolen) != workers.of(third)
    assert client.login(email).status_code == 200  # the owner signs in again
    FIGURES["refresh_reuse"] = {"reuse_answer": stolen.status_code, "chain_refresh_after": 401,
                                "access_after": after.status_code, "across_workers": workers.visible}
    write_result("server-brute-force", FIGURES)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_kept_alive_requests_are_not_held_back(backend: Backend) -> None:
    """With several workers the listening socket is made by uvicorn's supervisor, which leaves TCP_NODELAY off on
    the connections (Kludex/uvicorn#3149): every request after the first on a kept-alive connection then waits
    ~40 ms for a delayed ACK. The app keeps its connection alive, so that would be every request it makes."""
    with httpx.Client(base_url=backend.server.url, timeout=30) as http:
        http.get("/healthz")
        took = []
        for _ in range(20):
            started = time.perf_counter()
            assert http.get("/healthz").status_code == 200
            took.append(time.perf_counter() - started)
    median_ms = sorted(took)[len(took) // 2] * 1000
    print(f"\nkept-alive /healthz on the two-worker server: median {median_ms:.1f} ms")
    FIGURES["kept_alive_healthz_median_ms"] = round(median_ms, 1)
    write_result("server-brute-force", FIGURES)
    assert median_ms < 25, f"kept-alive requests take {median_ms:.0f} ms: Nagle's algorithm is on"
