"""Work done just after an answer, off the request's path: what only a known account needs (its history entry,
its reset code), so that answers for known and unknown addresses take the same time. Unlike FastAPI's background
tasks, it also runs when the route answers with an error (a failed sign-in)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


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
