"""Work done just after an answer, off the request's path: what only a known account needs (its history entry,
its reset code), so that answers for known and unknown addresses take the same time. Unlike FastAPI's background
tasks, it also runs when the route answers with an error (a failed sign-in)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from starlette.types import ASGIApp, Receive, Scope, Send

log = logging.getLogger(__name__)
AFTER_ANSWER = "sync_server.after_answer"
"""The request scope's list of work queued by the route, started by :class:`AfterAnswer`."""


class Background:
    """A small thread pool for after-the-answer work; failures are logged, never raised into a request."""

    def __init__(self, workers: int = 2) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="after-answer")

    def submit(self, work: Callable[[], None]) -> None:
        """Runs ``work`` soon, on another thread."""
        self._pool.submit(self._run, work)

    @staticmethod
    def _run(work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:
            log.exception("after-answer work failed")

    def shutdown(self) -> None:
        """Finishes queued work and stops the threads."""
        self._pool.shutdown(wait=True)


class AfterAnswer:
    """Starts the work a request queued (``scope[AFTER_ANSWER]``) once its answer has been sent, error answers
    included: started any earlier, the work would compete with the answer for the interpreter and show in its
    timing."""

    def __init__(self, app: ASGIApp, *, background: Background) -> None:
        self.app = app
        self.background = background

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        pending: list[Callable[[], None]] = []
        scope[AFTER_ANSWER] = pending
        try:
            await self.app(scope, receive, send)
        finally:
            for work in pending:
                self.background.submit(work)
