"""Load: 50 and then 200 users signing in at once, then refreshing their tokens and reading their account, on
PostgreSQL behind two uvicorn workers, rate limits on (each user from their own address). Every request must
succeed; the figures go to bench-results/server-load.json (``python -m sync_server.loadtest`` measures the same
against any running server)."""

from __future__ import annotations

import asyncio
import secrets
from pathlib import Path

import pytest

from sync_server.loadtest import (
    benchmark_figures,
    default_passwords,
    format_table,
    measure_idle_sign_in,
    measure_passwords,
    run_load,
    seed_accounts,
)
from tests.results import write_result
from tests.server.live import LiveServer
from tests.server.postgres import ThrowawayPostgres

pytestmark = [pytest.mark.server, pytest.mark.postgres]

RUNS = (50, 200)
"""Simulated users at once, one run each."""
ROUNDS = 5
"""Refresh + account read rounds per user after signing in."""


def test_sign_in_and_refresh_under_load(postgres: ThrowawayPostgres, tmp_path: Path) -> None:
    name = "load_" + secrets.token_hex(4)
    url = postgres.create_database(name)
    try:
        with LiveServer(url, tmp_path / "server", workers=2) as server:
            emails = seed_accounts(url, max(RUNS))
            argon2 = measure_passwords(default_passwords())
            idle = measure_idle_sign_in(server.url, emails[0])
            # A request the server cannot answer within its own 30 s database-pool timeout shows up as its 500,
            # not as our timeout.
            results = [asyncio.run(run_load(server.url, emails[:clients], ROUNDS, timeout_s=60))
                       for clients in RUNS]
            log_tail = "\n".join(line[:400] for line in server.log_tail(6).splitlines())
    finally:
        postgres.drop_database(name)

    print(f"\nargon2id {argon2['parameters']}: hash {argon2['hash_ms_median']} ms, verify "
          f"{argon2['verify_ms_median']} ms; idle sign-in {idle['median_ms']} ms")
    print(format_table(results))
    setup = {"rounds": ROUNDS, "server": "oet-sync-server serve --workers 2, PostgreSQL on loopback, rate limits on",
             "note": "load generator, server and database share the machine"}
    write_result("server-load", benchmark_figures(results, argon2=argon2, idle_sign_in=idle, setup=setup))

    assert argon2["parameters"]["algorithm"] == "argon2id"
    assert idle["median_ms"] > 0
    for result in results:
        figures = result.figures()
        assert figures["errors"] == 0, f"{result.clients} users: {figures['error_kinds']}\n{log_tail}"
        assert result.completed == result.planned == result.clients * (1 + 2 * ROUNDS)
        assert {kind: row["requests"] for kind, row in figures["by_type"].items()} == {
            "sign-in": result.clients, "refresh": result.clients * ROUNDS, "account": result.clients * ROUNDS}
