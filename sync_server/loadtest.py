"""A load benchmark for a running account server: simulated users sign in, then refresh their tokens and read
their account, all at once.

Each simulated client is one user on their own computer: its own HTTP connection and its own client address
(``X-Forwarded-For`` from 10.0.0.0/8, which the server trusts from loopback), so the per-address rate limits
count it as a distinct user, as they would in real use. Every client signs in with the password of a
pre-created account, then does ``rounds`` rounds of: refresh (rotating the refresh token), and ``GET
/v1/account`` with the new access token. Any answer other than 2xx, and any exception, counts as an error.

The accounts come first from :func:`seed_accounts`, which writes verified users straight into the database
with one argon2id hash (the server's default cost) computed once, so seeding 200 accounts takes well under a
second.

Usage (against a server started with ``oet-sync-server serve --workers 2``)::

    python -m sync_server.loadtest --url http://127.0.0.1:8787 --database-url postgresql+psycopg://... \\
        --clients 50 --clients 200 --rounds 5 --json server-load.json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from sync_server.core.config import Settings
from sync_server.core.security import Passwords
from sync_server.models import User, utcnow

DEFAULT_PASSWORD = "load-harbour-2719-violet"
"""The password of the seeded accounts (a fine one by the server's policy)."""
EMAIL_DOMAIN = "loadtest.example.org"
SIGN_IN, REFRESH, ACCOUNT = "sign-in", "refresh", "account"
KINDS = (SIGN_IN, REFRESH, ACCOUNT)


def account_email(index: int) -> str:
    """The address of seeded account ``index`` (the same on every run, so a database is seeded once)."""
    return f"load-{index:05d}@{EMAIL_DOMAIN}"


def default_passwords() -> Passwords:
    """The argon2id hasher with the cost the server uses by default (its ``Settings``)."""
    settings = Settings()
    return Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                     parallelism=settings.argon2_parallelism)


def seed_accounts(database_url: str, count: int, password: str = DEFAULT_PASSWORD, *,
                  passwords: Passwords | None = None) -> list[str]:
    """Makes sure accounts ``0 .. count-1`` exist, verified, with ``password``; returns their addresses.

    The users are written directly (one argon2id hash computed once and shared), so this is fast; accounts
    that already exist are left as they are. The database must be migrated already."""
    emails = [account_email(index) for index in range(count)]
    password_hash = (passwords or default_passwords()).hash(password)
    engine = create_engine(database_url)
    try:
        with Session(engine) as session, session.begin():
            existing = set(session.scalars(select(User.email).where(User.email.in_(emails))))
            now = utcnow()
            session.add_all(User(email=email, password_hash=password_hash, email_verified_at=now)
                            for email in emails if email not in existing)
    finally:
        engine.dispose()
    return emails


def distinct_addresses(count: int, *, rng: random.Random | None = None) -> list[str]:
    """``count`` different client addresses from 10.0.0.0/8 (never a .0 or .255 host part)."""
    rng = rng or random.Random()
    chosen: set[str] = set()
    while len(chosen) < count:
        chosen.add(f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}")
    return sorted(chosen)


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` from 0 to 1) of ``values``; 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(share * len(ordered))))
    return ordered[rank - 1]


@dataclass
class Sample:
    """One request: what it was, how long it took, and the error if it failed."""

    kind: str
    seconds: float
    error: str | None = None


@dataclass
class LoadResult:
    """Everything one load run measured."""

    clients: int
    rounds: int
    planned: int
    """Requests the run meant to make (each client: one sign-in, then a refresh and an account read per round)."""
    duration_s: float
    samples: list[Sample] = field(default_factory=list)

    @property
    def errors(self) -> list[Sample]:
        """The requests that failed."""
        return [sample for sample in self.samples if sample.error is not None]

    @property
    def completed(self) -> int:
        """Requests that got a successful answer."""
        return len(self.samples) - len(self.errors)

    @property
    def requests_per_second(self) -> float:
        """Successful requests per second of wall-clock time."""
        return self.completed / self.duration_s if self.duration_s > 0 else 0.0

    def figures(self) -> dict[str, Any]:
        """The run's figures as plain data (milliseconds, rounded): overall and per request type."""

        def latency(samples: Sequence[Sample]) -> dict[str, Any]:
            millis = [sample.seconds * 1000 for sample in samples]
            return {"requests": len(samples), "errors": sum(1 for s in samples if s.error is not None),
                    "p50_ms": round(percentile(millis, 0.50), 1), "p95_ms": round(percentile(millis, 0.95), 1),
                    "p99_ms": round(percentile(millis, 0.99), 1),
                    "mean_ms": round(statistics.fmean(millis), 1) if millis else 0.0,
                    "max_ms": round(max(millis), 1) if millis else 0.0}

        return {"clients": self.clients, "rounds": self.rounds, "planned_requests": self.planned,
                "completed_requests": self.completed, "errors": len(self.errors),
                "error_kinds": dict(Counter(f"{s.kind}: {s.error}" for s in self.errors).most_common(10)),
                "duration_s": round(self.duration_s, 2), "requests_per_s": round(self.requests_per_second, 1),
                **{key: value for key, value in latency(self.samples).items() if key not in ("requests", "errors")},
                "by_type": {kind: latency([s for s in self.samples if s.kind == kind]) for kind in KINDS}}


async def _timed(http: httpx.AsyncClient, samples: list[Sample], kind: str, method: str, path: str,
                 **kwargs: Any) -> dict[str, Any] | None:
    """Sends one request and records its latency and outcome; the JSON answer when it was 2xx, else None."""
    start = time.perf_counter()
    try:
        response = await http.request(method, path, **kwargs)
        body: dict[str, Any] | None = response.json() if response.is_success else None
    except (httpx.HTTPError, ValueError) as error:
        samples.append(Sample(kind, time.perf_counter() - start, type(error).__name__))
        return None
    elapsed = time.perf_counter() - start
    if body is None:
        samples.append(Sample(kind, elapsed, f"HTTP {response.status_code}"))
    elif kind == SIGN_IN and body.get("status") != "signed_in":
        samples.append(Sample(kind, elapsed, f"answer {body.get('status')!r}"))
        return None
    else:
        samples.append(Sample(kind, elapsed))
    return body


async def simulate_user(http: httpx.AsyncClient, email: str, password: str, rounds: int,
                        samples: list[Sample]) -> None:
    """One user: signs in, then ``rounds`` times refreshes (keeping the new tokens) and reads the account.
    Stops at the first failure (without tokens there is nothing more a real client could do)."""
    tokens = await _timed(http, samples, SIGN_IN, "POST", "/v1/auth/login",
                          json={"email": email, "password": password, "device_name": "Load test"})
    for _ in range(rounds):
        if tokens is None:
            return
        tokens = await _timed(http, samples, REFRESH, "POST", "/v1/auth/refresh",
                              json={"refresh_token": tokens["refresh_token"]})
        if tokens is None:
            return
        account = await _timed(http, samples, ACCOUNT, "GET", "/v1/account",
                               headers={"Authorization": f"Bearer {tokens['access_token']}"})
        if account is None:
            return


async def run_load(url: str, emails: Sequence[str], rounds: int, password: str = DEFAULT_PASSWORD, *,
                   timeout_s: float = 120.0) -> LoadResult:
    """Runs one user per address in ``emails``, all at once, each with its own connection and client address."""
    addresses = distinct_addresses(len(emails))
    clients = [httpx.AsyncClient(base_url=url, timeout=timeout_s, headers={"X-Forwarded-For": address})
               for address in addresses]
    samples: list[Sample] = []
    try:
        start = time.perf_counter()
        await asyncio.gather(*(simulate_user(http, email, password, rounds, samples)
                               for http, email in zip(clients, emails, strict=True)))
        duration = time.perf_counter() - start
    finally:
        await asyncio.gather(*(http.aclose() for http in clients))
    return LoadResult(clients=len(emails), rounds=rounds, planned=len(emails) * (1 + 2 * rounds),
                      duration_s=duration, samples=samples)


def measure_passwords(passwords: Passwords, password: str = DEFAULT_PASSWORD, repeats: int = 20
                      ) -> dict[str, Any]:
    """The argon2id cost in force, and the median time of one hash and of one verification."""
    hashes: list[float] = []
    verifies: list[float] = []
    stored = passwords.hash(password)
    for _ in range(repeats):
        start = time.perf_counter()
        passwords.hash(password)
        hashes.append(time.perf_counter() - start)
        start = time.perf_counter()
        if not passwords.verify(stored, password):
            raise AssertionError("argon2id did not verify its own hash")
        verifies.append(time.perf_counter() - start)
    return {"parameters": {"algorithm": "argon2id", **passwords.parameters}, "repeats": repeats,
            "hash_ms_median": round(statistics.median(hashes) * 1000, 1),
            "verify_ms_median": round(statistics.median(verifies) * 1000, 1)}


def measure_idle_sign_in(url: str, email: str, password: str = DEFAULT_PASSWORD, repeats: int = 5
                         ) -> dict[str, Any]:
    """Sign-in round trips one after another on an otherwise idle server (a fresh connection each time)."""
    times: list[float] = []
    address = distinct_addresses(1)[0]
    for _ in range(repeats):
        with httpx.Client(base_url=url, timeout=30, headers={"X-Forwarded-For": address}) as http:
            start = time.perf_counter()
            response = http.post("/v1/auth/login", json={"email": email, "password": password,
                                                         "device_name": "Load test (idle)"})
            times.append(time.perf_counter() - start)
        response.raise_for_status()
    return {"repeats": repeats, "median_ms": round(statistics.median(times) * 1000, 1),
            "min_ms": round(min(times) * 1000, 1), "max_ms": round(max(times) * 1000, 1)}


def format_table(results: Sequence[LoadResult]) -> str:
    """A plain-text table of the runs: overall and per request type."""
    lines = [f"{'clients':>7} {'type':<8} {'requests':>8} {'errors':>6} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} "
             f"{'p99 ms':>8} {'max ms':>8}"]
    for result in results:
        figures = result.figures()
        rows: list[tuple[str, dict[str, Any], str]] = [
            ("all", {**figures, "requests": len(result.samples)}, f"{figures['requests_per_s']:.0f}")]
        rows += [(kind, figures["by_type"][kind], "") for kind in KINDS]
        for name, row, rate in rows:
            lines.append(f"{result.clients:>7} {name:<8} {row['requests']:>8} {row['errors']:>6} {rate:>7} "
                         f"{row['p50_ms']:>8.1f} {row['p95_ms']:>8.1f} {row['p99_ms']:>8.1f} {row['max_ms']:>8.1f}")
    return "\n".join(lines)


def benchmark_figures(results: Sequence[LoadResult], *, argon2: dict[str, Any], idle_sign_in: dict[str, Any],
                      setup: dict[str, Any]) -> dict[str, Any]:
    """The result file's figures: the set-up, the password cost, the idle sign-in and one entry per load run."""
    return {"setup": setup, "argon2": argon2, "idle_sign_in": idle_sign_in,
            "load": {str(result.clients): result.figures() for result in results}}


def _stamp() -> dict[str, str]:
    """Date, machine and commit: the repository's benchmark stamp when the desktop package is there."""
    try:
        from oet_desktop.bench.results import stamp
    except ImportError:
        return {"date": datetime.now(UTC).isoformat(timespec="seconds"), "platform": platform.platform()}
    return stamp()


def write_json(path: Path, figures: dict[str, Any]) -> Path:
    """Writes the figures with their stamp (date, machine, commit)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**_stamp(), **figures}, indent=2, default=str) + "\n", encoding="utf-8")
    return path


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m sync_server.loadtest",
                                     description="Load benchmark of a running account server: simulated users "
                                                 "sign in, refresh and read their account, all at once.")
    parser.add_argument("--url", required=True, help="the server's address, e.g. http://127.0.0.1:8787")
    parser.add_argument("--clients", type=int, action="append",
                        help="simulated users at once (repeat for several runs; default 50)")
    parser.add_argument("--rounds", type=int, default=5, help="refresh + account rounds per user (default 5)")
    parser.add_argument("--database-url", help="seed the accounts into this database first (SQLAlchemy URL)")
    parser.add_argument("--password", default=DEFAULT_PASSWORD, help="the seeded accounts' password")
    parser.add_argument("--json", type=Path, help="write the figures (stamped) to this file")
    parser.add_argument("--server", default="", help="how the server runs (workers, database), for the result file")
    parser.add_argument("--note", default="", help="anything else about the set-up, for the result file")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Seeds (optionally), measures argon2id and an idle sign-in, runs the load, prints a table; 1 on errors."""
    args = build_parser().parse_args(argv)
    runs: list[int] = args.clients or [50]
    if min(runs) < 1 or args.rounds < 0:
        print("--clients must be at least 1 and --rounds at least 0", file=sys.stderr)
        return 2
    emails = [account_email(index) for index in range(max(runs))]
    passwords = default_passwords()
    if args.database_url:
        seed_accounts(args.database_url, max(runs), args.password, passwords=passwords)
    argon2 = measure_passwords(passwords, args.password)
    idle = measure_idle_sign_in(args.url, emails[0], args.password)
    results = [asyncio.run(run_load(args.url, emails[:clients], args.rounds, args.password)) for clients in runs]
    print(f"argon2id {argon2['parameters']}: hash {argon2['hash_ms_median']} ms, verify "
          f"{argon2['verify_ms_median']} ms (median of {argon2['repeats']}); idle sign-in {idle['median_ms']} ms")
    print(format_table(results))
    if args.json:
        setup = {"rounds": args.rounds, "server": args.server, "note": args.note}
        write_json(args.json, benchmark_figures(results, argon2=argon2, idle_sign_in=idle, setup=setup))
    return 1 if any(result.errors or result.completed != result.planned for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
