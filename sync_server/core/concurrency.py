"""A cap on the requests a worker works on at once, sized from its database pool, so a burst can never leave
every pooled connection held by a request that waits for something only another request can free.

Why it is needed: routes are plain functions run on the thread pool (40 threads). A request can hold two pooled
connections at once (its session's, and the rate limiter's, which commits on its own), and its session keeps its
connection until the answer is serialised, which is another turn on the thread pool. With more requests in flight
than the pool can serve, every thread can end up waiting for a connection while every connection belongs to a
request waiting for a thread (or for a second connection): nothing moves until the pool's 30 s timeout answers
500. With at most half the pool's connections' worth of requests in the application, the pool never runs dry and
a thread is always free. The others wait their turn in the event loop, which costs nothing."""

from __future__ import annotations

import anyio
from sqlalchemy import Engine
from sqlalchemy.pool import QueuePool
from starlette.types import ASGIApp, Receive, Scope, Send

CONNECTIONS_PER_REQUEST = 2
"""The most pooled connections one request holds at a time: its session's and the rate limiter's."""
UNGATED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes answer at once even under load (they hold at most one connection, briefly)."""


def request_slots(engine: Engine) -> int:
    """How many requests may be in the application at once for ``engine``'s connection pool."""
    pool = engine.pool
    # Other pools (SQLite in memory: one shared connection) make requests take turns anyway: a modest cap.
    capacity = pool.size() + max(0, pool._max_overflow) if isinstance(pool, QueuePool) else 10
    return max(1, capacity // CONNECTIONS_PER_REQUEST)


class ConcurrencyLimit:
    """At most ``limit`` HTTP requests inside the application at once; later ones wait (in arrival order)."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit
        self._slots = anyio.Semaphore(limit)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in UNGATED_PATHS:
            await self.app(scope, receive, send)
            return
        async with self._slots:
            await self.app(scope, receive, send)
