"""Work off the UI thread: an application-layer call runs on a thread pool and its typed result (or error) comes
back to a callback on the UI thread, so the window never freezes (Anki's ``QueryOp[T]`` in small)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot

log = logging.getLogger(__name__)
T = TypeVar("T")


class _Reply(QObject, Generic[T]):
    """Lives on the UI thread; the worker's signals reach it queued, so callbacks run on the UI thread."""

    finished = Signal(object, object)  # result, error

    def __init__(self, done: Callable[[T], None] | None, failed: Callable[[BaseException], None] | None,
                 forget: Callable[[_Reply[Any]], None]) -> None:
        super().__init__()
        self._done, self._failed, self._forget = done, failed, forget
        self.finished.connect(self._deliver)

    @Slot(object, object)
    def _deliver(self, result: T, error: BaseException | None) -> None:
        QTimer.singleShot(0, lambda: self._forget(self))  # released after this slot has returned
        if error is None and self._done is not None:
            try:
                self._done(result)
            except Exception as failure:  # a bug showing the result: reported like the task's own errors
                log.exception("showing a background result failed")
                error = failure
        if error is not None:
            if self._failed is not None:
                self._failed(error)
            else:
                log.error("background task failed: %s", error, exc_info=error)


class _Job(QRunnable, Generic[T]):
    def __init__(self, work: Callable[[], T], reply: _Reply[T]) -> None:
        super().__init__()
        self._work, self._reply = work, reply

    def run(self) -> None:
        try:
            result = self._work()
        except BaseException as error:  # handed to the UI thread, which shows it
            self._reply.finished.emit(None, error)
        else:
            self._reply.finished.emit(result, None)


class Tasks:
    """Runs functions on a thread pool; ``done``/``failed`` are called on the UI thread."""

    def __init__(self, pool: QThreadPool | None = None) -> None:
        self._pool = pool or QThreadPool.globalInstance()
        self._pending: set[_Reply[Any]] = set()

    def run(self, work: Callable[[], T], done: Callable[[T], None] | None = None,
            failed: Callable[[BaseException], None] | None = None) -> None:
        """Start ``work`` on the pool (call from the UI thread); ``done`` gets its result, ``failed`` its
        error."""
        reply: _Reply[T] = _Reply(done, failed, self._pending.discard)
        self._pending.add(reply)
        self._pool.start(_Job(work, reply))

    @property
    def busy(self) -> bool:
        """True while any task has not reported back."""
        return bool(self._pending)

    def wait(self, msecs: int = 30_000) -> bool:
        """Wait for the pool to drain (shutdown and tests)."""
        return self._pool.waitForDone(msecs)
