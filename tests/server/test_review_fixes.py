"""The fixes from the review of the account server, each shown over real HTTP (or the real command line): an
unverified address cannot take two-factor or a new address; known and unknown addresses get the same answers in the
same time (password reset, failed sign-in); control characters in a device name are a 422; single-use codes are
single-use under parallel requests; the per-account limit spares the owner's own computer; IPv6 clients count by
/64; a password reset voids open sign-in tickets; a client_id signing in again replaces its device; the embedded
server keeps its folder private; and the CLI's start-up errors are one clear line (migrations take turns)."""

from __future__ import annotations

import email
import email.policy
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sync_server.core.migrations import current_revision, head_revision
from tests.server.conftest import Backend
from tests.server.live import (
    PASSWORD,
    REPO,
    Client,
    LiveServer,
    free_port,
    new_email,
    random_address,
    register_verified,
    token_from,
)
from tests.server.postgres import ThrowawayPostgres
from tests.server.test_two_factor import enable_two_factor, first_step, second_step

pytestmark = pytest.mark.server

NEW_PASSWORD = "copper-meadow-58-quilt"
RESET_SUBJECT = "Reset your OET Desktop password"
SHIFT_LIMIT_MS = 1.0
"""How much longer (or shorter) the server may work on a known address than on an unknown one: the median of all
known-minus-unknown differences of the durations in its access log. Before the review, a known address cost a
password reset one more database transaction on the request's path (+1.5 to +3.4 ms on this 2-core machine, SQLite
and PostgreSQL alike, as the clients saw it); the review's first fix, work started on another thread while the answer
was still being made, still cost +2.2 to +3.4 ms on SQLite. The server's own durations are asserted on because the
client's also hold this process's share of the machine, which the mail catcher in it takes just then for a known
address (the mail comes straight after the answer): they are printed beside them."""
MEDIAN_GAP_LIMIT_MS = 3.0
"""The most the two groups' median durations may differ by (a coarser check beside the one above)."""


def _register(server: LiveServer, address: str | None = None) -> tuple[Client, str]:
    """An account registered but not verified, and a client (signed out) on its own address."""
    client = Client(server, address=address or random_address())
    mail_address = new_email("unverified")
    response = client.post("/v1/auth/register", {"email": mail_address, "password": PASSWORD}, auth=False)
    assert response.status_code == 202, response.text
    return client, mail_address


def _events(client: Client, kind: str) -> list[dict[str, Any]]:
    export = client.get("/v1/account/export")
    assert export.status_code == 200, export.text
    return [e for e in export.json()["events"] if e["kind"] == kind]


def _poll(check: Callable[[], bool], timeout: float = 10.0, every: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(every)
    return True


def _resets(backend: Backend, address: str) -> list[EmailMessage]:
    return [m for m in backend.mail.messages_to(address) if RESET_SUBJECT in str(m["subject"])]


def _wait_for_resets(backend: Backend, address: str, count: int, every: float = 0.05) -> list[EmailMessage]:
    """The reset mails to ``address`` once there are ``count`` of them (they are sent just after the answer)."""
    assert _poll(lambda: len(_resets(backend, address)) >= count, every=every), f"no reset code mailed to {address}"
    return _resets(backend, address)


class Timings:
    """Requests timed by this client and, by their request ids in the server's access log, by the server."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.client: dict[str, list[float]] = {"known": [], "unknown": []}
        self.ids: dict[str, list[str]] = {"known": [], "unknown": []}

    def post(self, http: httpx.Client, group: str | None, path: str, body: dict[str, str]) -> httpx.Response:
        """One request from a new client address; timed when ``group`` is given."""
        request_id = "timing-" + secrets.token_hex(8)
        started = time.perf_counter()
        response = http.post(path, json=body, headers={"X-Forwarded-For": random_address(), "X-Request-ID": request_id})
        if group is not None:
            self.client[group].append(time.perf_counter() - started)
            self.ids[group].append(request_id)
        return response

    def server(self) -> dict[str, list[float]]:
        """The durations the server logged for each group's requests, in seconds."""
        wanted = {i for ids in self.ids.values() for i in ids}
        logged: dict[str, float] = {}

        def read() -> bool:
            for line in self.backend.server.log_path.read_text(errors="replace").splitlines():
                if line.startswith("{") and '"timing-' in line:
                    entry = json.loads(line)
                    if entry.get("request_id") in wanted and "duration_ms" in entry:
                        logged[entry["request_id"]] = entry["duration_ms"] / 1000
            return wanted <= logged.keys()

        assert _poll(read, timeout=5), f"{len(wanted - logged.keys())} requests missing from the access log"
        return {group: [logged[i] for i in ids] for group, ids in self.ids.items()}

    def compare(self, name: str) -> tuple[float, float]:
        """Prints both groups' figures as the client and the server saw them; the server's median of all
        known-minus-unknown differences and the gap between its medians, in ms."""
        def shift(known: list[float], unknown: list[float]) -> float:
            return statistics.median([k - u for k in known for u in unknown]) * 1000

        def gap(known: list[float], unknown: list[float]) -> float:
            return (statistics.median(known) - statistics.median(unknown)) * 1000

        def figures(values: list[float]) -> str:
            return (f"median {statistics.median(values) * 1000:.2f} ms, "
                    f"p90 {statistics.quantiles(values, n=10)[8] * 1000:.2f} ms")

        server = self.server()
        for seen_by, times in (("client", self.client), ("server", server)):
            print(f"\n{name} on {self.backend.name}, {seen_by}: known {figures(times['known'])}; unknown "
                  f"{figures(times['unknown'])}; median difference {shift(times['known'], times['unknown']):+.2f} ms; "
                  f"gap of the medians {gap(times['known'], times['unknown']):+.2f} ms")
        return shift(server["known"], server["unknown"]), gap(server["known"], server["unknown"])


def _race(url: str, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[httpx.Response]:
    """Sends the calls at the same moment, each on its own already-open connection (threads behind a barrier)."""
    clients = [httpx.Client(base_url=url, timeout=30) for _ in calls]
    try:
        for http in clients:
            assert http.get("/healthz").status_code == 200  # connected before the start
        barrier = threading.Barrier(len(calls))

        def run(index: int) -> httpx.Response:
            barrier.wait()
            return calls[index](clients[index])

        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(run, range(len(calls))))
    finally:
        for http in clients:
            http.close()


def _post(path: str, body: dict[str, str], address: str, token: str | None = None
          ) -> Callable[[httpx.Client], httpx.Response]:
    headers = {"X-Forwarded-For": address}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return lambda http: http.post(path, json=body, headers=headers)


def _statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(r.status_code for r in responses)


# --- 1. an unverified address cannot take two-factor sign-in or move the account --------------------------------------

def test_unverified_account_cannot_turn_on_two_factor_or_change_its_address(backend: Backend) -> None:
    client, address = _register(backend.server)
    assert client.login(address).status_code == 200  # signing in does not need a verified address
    assert client.get("/v1/account").json()["email_verified"] is False
    new_address = new_email("moved")

    enrol = client.post("/v1/account/two-factor", {"password": PASSWORD})
    assert enrol.status_code == 403, enrol.text
    assert enrol.json()["detail"].startswith("Verify your email address first")
    move = client.post("/v1/account/email", {"new_email": new_address, "password": PASSWORD})
    assert move.status_code == 403, move.text
    assert move.json()["detail"].startswith("Verify your email address first")
    assert backend.mail.messages_to(new_address) == []

    token = token_from(backend.mail.wait_for(address, "Verify"))
    assert client.post("/v1/auth/verify-email", {"token": token}, auth=False).status_code == 200
    enrol = client.post("/v1/account/two-factor", {"password": PASSWORD})
    assert enrol.status_code == 200, enrol.text
    assert enrol.json()["secret"]
    move = client.post("/v1/account/email", {"new_email": new_address, "password": PASSWORD})
    assert move.status_code == 202, move.text
    backend.mail.wait_for(new_address, "Confirm your new email address")


# --- 2. password reset: the same answer in the same time for known and unknown addresses ------------------------------

def test_password_reset_answers_known_and_unknown_addresses_alike_in_the_same_time(backend: Backend) -> None:
    # Each address is asked about three times (password-reset/email allows three an hour, so nothing is refused),
    # known and unknown alike, so both groups' rate counters go through the same states: 40 requests each.
    known = [("known", a) for a in (_register(backend.server)[1] for _ in range(14)) for _ in range(3)][:40]
    unknown = [("unknown", a) for a in (new_email("nobody") for _ in range(14)) for _ in range(3)][:40]
    order = known + unknown
    random.Random(7).shuffle(order)
    timings = Timings(backend)
    answers: list[httpx.Response] = []
    with httpx.Client(base_url=backend.server.url, timeout=30) as http:
        for _ in range(5):  # warm up the connection and the code paths
            timings.post(http, None, "/v1/auth/password-reset", {"email": new_email("warm")})
        for group, address in order:
            mailed = len(_resets(backend, address))
            response = timings.post(http, group, "/v1/auth/password-reset", {"email": address})
            assert response.status_code == 202, response.text
            answers.append(response)
            if group == "known":  # the code is still mailed (after the answer); that work ends before the next
                _wait_for_resets(backend, address, mailed + 1, every=0.001)
            else:
                time.sleep(0.003)

    def shown(response: httpx.Response) -> tuple[int, bytes, tuple[tuple[str, str], ...]]:
        headers = tuple(sorted((k, v) for k, v in response.headers.items() if k not in ("date", "x-request-id")))
        return response.status_code, response.content, headers

    assert len({shown(r) for r in answers}) == 1, "known and unknown addresses are answered differently"
    assert not any(_resets(backend, address) for _, address in unknown)
    shift, gap = timings.compare("password reset")
    assert abs(shift) < SHIFT_LIMIT_MS, f"a known address takes {shift:+.2f} ms longer than an unknown one"
    assert abs(gap) < MEDIAN_GAP_LIMIT_MS, f"the medians differ by {gap:+.2f} ms"


# --- 3. a failed sign-in: the same time for known and unknown addresses, and still in the account's history -----------

def test_failed_sign_in_takes_the_same_time_for_known_and_unknown_addresses(backend: Backend) -> None:
    owner, account = register_verified(backend.server, backend.mail)
    order = [("known", account)] * 20 + [("unknown", new_email("nobody")) for _ in range(20)]
    random.Random(11).shuffle(order)
    timings = Timings(backend)
    with httpx.Client(base_url=backend.server.url, timeout=30) as http:
        for _ in range(3):
            timings.post(http, None, "/v1/auth/login", {"email": new_email("warm"), "password": "wrong-" + PASSWORD})
        for group, address in order:  # each guess from its own address: no limit comes near
            response = timings.post(http, group, "/v1/auth/login", {"email": address, "password": "wrong-" + PASSWORD})
            assert response.status_code == 401, response.text
            time.sleep(0.01)  # the history entry of a known address, written after its answer, is done by then
    shift, gap = timings.compare("failed sign-in")
    assert _poll(lambda: len(_events(owner, "sign_in_failed")) == 20), _events(owner, "sign_in_failed")
    # Each sign-in spends ~25 ms in argon2, whose spread on a busy machine hides the ~1 ms the history entry once cost
    # on the request's path: this bound catches more than that (a mail, a call to elsewhere), not that.
    assert abs(shift) < MEDIAN_GAP_LIMIT_MS, f"refusing a known address takes {shift:+.2f} ms longer ({gap:+.2f} ms)"


# --- 4. control characters in a device name ---------------------------------------------------------------------------

def test_device_name_with_a_control_character_is_422_and_stores_nothing(backend: Backend) -> None:
    owner, address = register_verified(backend.server, backend.mail)
    laptop = Client(backend.server)
    for name in ["Lap\x00top", "Lap\x07top", "Laptop \x1b[31mred", "Tab\tname", "Line\nbreak", "Del\x7f"]:
        # The right password, so the name would be stored: PostgreSQL cannot store a NUL (it was a 500), SQLite could.
        response = laptop.post("/v1/auth/login", {"email": address, "password": PASSWORD, "device_name": name},
                               auth=False)
        assert response.status_code == 422, (name, response.status_code, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "device_name"]
    assert len(owner.get("/v1/devices").json()) == 1
    signed_in = laptop.login(address, device_name="Küchen-Laptop (Zoë’s) 💻")  # ordinary text still goes through
    assert signed_in.status_code == 200, signed_in.text
    assert "Küchen-Laptop (Zoë’s) 💻" in {d["name"] for d in owner.get("/v1/devices").json()}


# --- 5. single-use codes under parallel requests ----------------------------------------------------------------------

def test_parallel_second_steps_with_one_code_let_one_in(backend: Backend) -> None:
    client, address = register_verified(backend.server, backend.mail)
    app, recovery_codes, _ = enable_two_factor(client)
    tickets = [first_step(client, address), first_step(client, address)]
    url = backend.server.url
    # One authenticator code (a second would be the next 30 s step's: the Authenticator may wait for it), two
    # recovery codes; each race leaves one failure, within the five per quarter hour.
    for code in [app.code(), recovery_codes[0], recovery_codes[1]]:
        responses = _race(url, [_post("/v1/auth/login/two-factor", {"ticket": t, "code": code}, random_address())
                                for t in tickets])
        assert _statuses(responses) == [200, 401], [(r.status_code, r.text) for r in responses]
        loser = next(r for r in responses if r.status_code == 401)
        assert "already used" in loser.json()["detail"]
    devices = client.get("/v1/devices").json()
    assert len(devices) == 1 + 3  # the enrolling device and one per race


def test_parallel_uses_of_one_code_replace_the_recovery_codes_once(backend: Backend) -> None:
    client, _ = register_verified(backend.server, backend.mail)
    app, recovery_codes, _ = enable_two_factor(client)
    assert client.access_token is not None
    for kind in ("authenticator", "recovery"):
        code = app.code() if kind == "authenticator" else recovery_codes[0]
        responses = _race(backend.server.url, [_post("/v1/account/two-factor/recovery-codes", {"code": code},
                                                     client.address, client.access_token)] * 2)
        assert _statuses(responses) == [200, 403], (kind, [(r.status_code, r.text) for r in responses])
        recovery_codes = next(r for r in responses if r.status_code == 200).json()["recovery_codes"]
    # the codes the winner showed are the ones that work
    assert client.post("/v1/account/two-factor/recovery-codes", {"code": recovery_codes[0]}).status_code == 200


def test_parallel_reset_confirms_with_one_code_reset_once(backend: Backend) -> None:
    asker, address = _register(backend.server)
    for attempt in range(2):
        assert asker.post("/v1/auth/password-reset", {"email": address}, auth=False).status_code == 202
        code = token_from(_wait_for_resets(backend, address, attempt + 1)[-1])
        passwords = [f"{NEW_PASSWORD}-{attempt}-a", f"{NEW_PASSWORD}-{attempt}-b"]
        responses = _race(backend.server.url, [
            _post("/v1/auth/password-reset/confirm", {"token": code, "new_password": p}, random_address())
            for p in passwords])
        assert _statuses(responses) == [204, 400], [(r.status_code, r.text) for r in responses]
        winner = passwords[[r.status_code for r in responses].index(204)]
        loser = passwords[[r.status_code for r in responses].index(400)]
        assert Client(backend.server).login(address, loser).status_code == 401
        assert Client(backend.server).login(address, winner).status_code == 200


# --- 6. the per-account limit spares the owner's own computer ---------------------------------------------------------

@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_guesses_from_many_addresses_lock_new_addresses_but_not_the_owners_computer(backend: Backend) -> None:
    home, address = register_verified(backend.server, backend.mail)  # the owner signed in from home once
    attackers = [f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{n}" for n in range(1, 12)]
    guesses = [(sender, f"guess-{sender}-{k}") for sender in attackers for k in range(5)]

    def guess(item: tuple[str, str]) -> int:
        sender, password = item
        with httpx.Client(base_url=backend.server.url, timeout=30) as http:
            return http.post("/v1/auth/login", json={"email": address, "password": password},
                             headers={"X-Forwarded-For": sender}).status_code

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(guess, guesses))
    assert sorted(answers) == [401] * 50 + [429] * 5  # 55 guesses; the account allows 50 failures an hour

    stranger = Client(backend.server)
    for password in ("wrong-" + PASSWORD, PASSWORD):
        refused = stranger.login(address, password)
        assert refused.status_code == 429, refused.text
        assert int(refused.headers["retry-after"]) > 0
    owner = Client(backend.server, address=home.address)
    assert owner.login(address, "typo-" + PASSWORD).status_code == 401  # a typo at home is just wrong
    assert owner.login(address).status_code == 200, "the owner is locked out of their own computer"


# --- 7. IPv6 clients count by /64 -------------------------------------------------------------------------------------

def test_ipv6_addresses_in_one_64_share_the_sign_in_limits(backend: Backend) -> None:
    prefix = f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}"
    client = Client(backend.server)
    target = new_email("nobody")
    answers = []
    for n in range(1, 61):  # 60 attempts (the per-address allowance), each from its own address in the /64
        client.address = f"{prefix}::{n:x}"
        answers.append(client.post("/v1/auth/login", {"email": target, "password": "wrong"}, auth=False).status_code)
    # The first five are checked (the account+address allowance, which also counts the /64); the rest are refused.
    assert answers == [401] * 5 + [429] * 55
    client.address = f"{prefix}:ffff:ffff:ffff:fffe"
    fresh = client.post("/v1/auth/login", {"email": new_email("nobody"), "password": "wrong"}, auth=False)
    assert fresh.status_code == 429, fresh.text  # a new address and a new account: only the /64's count is left
    client.address = f"2001:db8:{secrets.token_hex(2)}:{secrets.token_hex(2)}::1"
    elsewhere = client.post("/v1/auth/login", {"email": new_email("nobody"), "password": "wrong"}, auth=False)
    assert elsewhere.status_code == 401, elsewhere.text


# --- 8. a password reset voids open sign-in tickets -------------------------------------------------------------------

def test_sign_in_ticket_stops_working_after_a_password_reset(backend: Backend) -> None:
    client, address = register_verified(backend.server, backend.mail)
    app, _, _ = enable_two_factor(client)
    ticket = first_step(client, address)  # e.g. an attacker who had the old password

    assert client.post("/v1/auth/password-reset", {"email": address}, auth=False).status_code == 202
    code = token_from(backend.mail.wait_for(address, RESET_SUBJECT))
    confirmed = client.post("/v1/auth/password-reset/confirm", {"token": code, "new_password": NEW_PASSWORD},
                            auth=False)
    assert confirmed.status_code == 204, confirmed.text

    code = app.code()
    stale = second_step(client, ticket, code)
    assert stale.status_code == 401, stale.text
    assert "no longer valid" in stale.json()["detail"]
    fresh = second_step(client, first_step(client, address, NEW_PASSWORD), code)  # the refusal did not spend it
    assert fresh.status_code == 200, fresh.text


# --- 9. the same copy of the app signing in again replaces its device -------------------------------------------------

def test_signing_in_again_with_the_same_client_id_replaces_the_device(backend: Backend) -> None:
    first_device, address = register_verified(backend.server, backend.mail)  # signed in without a client_id
    client_id = "oet-desktop-" + secrets.token_hex(8)
    body = {"email": address, "password": PASSWORD, "device_name": "Laptop", "client_id": client_id}
    before = Client(backend.server)
    before.take_tokens(before.post("/v1/auth/login", body, auth=False))
    again = Client(backend.server, address=before.address)
    again.take_tokens(again.post("/v1/auth/login", body, auth=False))

    listed = again.get("/v1/devices")
    assert listed.status_code == 200, listed.text
    assert {d["id"] for d in listed.json()} == {first_device.device_id, again.device_id}
    assert before.get("/v1/account").status_code == 401
    assert before.post("/v1/auth/refresh", {"refresh_token": before.refresh_token}, auth=False).status_code == 401
    assert first_device.get("/v1/account").status_code == 200


# --- 10. the embedded server's folder is private ----------------------------------------------------------------------

class EmbeddedServer(LiveServer):
    """The server as one person runs it: no settings but the folder (SQLite, a generated key, mail as files).
    ``data_dir`` need not exist: the server makes it. The log goes to ``log_dir``."""

    def __init__(self, data_dir: Path, log_dir: Path) -> None:
        super().__init__("", log_dir)
        self.folder = data_dir

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OET_SYNC_")}
        env.update({"OET_SYNC_PUBLIC_URL": self.url, "PYTHONPATH": str(REPO)})
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        return env

    def start(self) -> EmbeddedServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "sync_server", "serve", "--port", str(self.port),
                   "--data-dir", str(self.folder)]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                                             cwd=self.data_dir, start_new_session=True, umask=0o022)
        assert _poll(lambda: self._ready(), timeout=60), self.log_tail()
        return self

    def _ready(self) -> bool:
        assert self._process is not None
        assert self._process.poll() is None, self.log_tail()
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def test_embedded_server_keeps_its_folder_private(tmp_path: Path) -> None:
    folder = tmp_path / "home" / "oet-sync-server"
    assert not folder.exists()
    with EmbeddedServer(folder, tmp_path / "log") as server:
        client = Client(server)
        address = new_email()
        assert client.post("/v1/auth/register", {"email": address, "password": PASSWORD}, auth=False).status_code == 202
        mail = folder / "mail"
        assert _poll(lambda: mail.is_dir() and any(mail.glob("*.eml"))), server.log_tail()
        messages = sorted(mail.glob("*.eml"))
        assert [oct(p.stat().st_mode & 0o777) for p in (folder, mail, *messages)] == \
            [oct(0o700)] * 2 + [oct(0o600)] * len(messages)
        assert oct((folder / "secret.key").stat().st_mode & 0o777) == oct(0o600)
        message = email.message_from_bytes(messages[0].read_bytes(), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        assert message["To"] == address
        verified = client.post("/v1/auth/verify-email", {"token": token_from(message)}, auth=False)
        assert verified.status_code == 200, verified.text


def test_migrate_makes_a_missing_data_folder_private_also_with_a_configured_key(tmp_path: Path) -> None:
    folder = tmp_path / "srv" / "oet-sync-server"  # with OET_SYNC_SECRET_KEY set, no key file makes it first
    result = _cli(tmp_path, "migrate", "--data-dir", str(folder))
    assert result.returncode == 0, result.stderr
    assert oct(folder.stat().st_mode & 0o777) == oct(0o700)
    assert (folder / "accounts.sqlite3").is_file()


# --- 11. the command line ---------------------------------------------------------------------------------------------

def _cli(tmp_path: Path, *args: str, key: str = "cli-secret-" + "s" * 40, timeout: float = 60
         ) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OET_SYNC_")}
    env.update({"PYTHONPATH": str(REPO), "OET_SYNC_SECRET_KEY": key, "OET_SYNC_DATA_DIR": str(tmp_path / "data")})
    return subprocess.run([sys.executable, "-m", "sync_server", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_migrate_with_an_unreachable_database_says_so_in_one_line_without_the_password(tmp_path: Path) -> None:
    result = _cli(tmp_path, "migrate", "--database-url", "postgresql+psycopg://x:hunter2-pw@127.0.0.1:1/nope")
    assert result.returncode == 2, (result.returncode, result.stderr)
    message = result.stderr.strip()
    assert "\n" not in message, message
    assert "Traceback" not in message
    assert "hunter2" not in result.stderr + result.stdout
    assert "***" in message, message
    assert "127.0.0.1" in message, message


@pytest.mark.parametrize("command", ["migrate", "serve"])
def test_a_short_secret_key_is_refused_before_anything_starts(tmp_path: Path, command: str) -> None:
    url = f"sqlite:///{tmp_path / 'accounts.sqlite3'}"
    extra = ["--port", str(free_port())] if command == "serve" else []
    result = _cli(tmp_path, command, "--database-url", url, *extra, key="short")
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "at least 32 characters" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "accounts.sqlite3").exists()  # refused before the database was touched


@pytest.mark.postgres
def test_two_migrations_started_at_once_both_succeed(postgres: ThrowawayPostgres, tmp_path: Path) -> None:
    name = "race_" + secrets.token_hex(4)
    url = postgres.create_database(name)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("OET_SYNC_")}
        env.update({"PYTHONPATH": str(REPO), "OET_SYNC_SECRET_KEY": "cli-secret-" + "s" * 40,
                    "OET_SYNC_DATA_DIR": str(tmp_path / "data")})
        command = [sys.executable, "-m", "sync_server", "migrate", "--database-url", url]
        processes = [subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                      text=True) for _ in range(2)]
        results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
        assert [r[0] for r in results] == [0, 0], results
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        try:
            assert current_revision(engine) == head_revision()
        finally:
            engine.dispose()
    finally:
        postgres.drop_database(name)
