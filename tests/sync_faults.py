"""A fault-injecting HTTP proxy for the sync tests, and a one-sync program to kill mid-sync.

:class:`FaultProxy` listens on loopback between the app's :class:`~oet_desktop.core.sync.client.AccountClient`
and a real account server (``upstream``, a mutable attribute). A seeded RNG chooses, per request: pass it through,
drop the request (close the connection without forwarding), forward it and drop the answer (the server has
committed), delay it, or answer 500 without forwarding. It can also restart the server during chosen pushes (with
the ``stop_server``/``start_server`` hooks: after the server committed, the answer then lost; or before forwarding,
the push then answered 502 like a reverse proxy in front of a stopped server), and hold a chosen request's answer
until released (so a test can kill the app while it waits). Everything it does is counted in ``counts``.

``python -m tests.sync_faults --profile DB --server URL`` runs one sync of a profile (key and tokens from the
environment: ``OET_FAULTS_PROFILE_KEY`` hex, ``OET_FAULTS_TOKENS`` JSON, ``OET_FAULTS_DETAILS_KEY`` hex or unset),
so a test can SIGKILL the app mid-push or mid-pull."""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

FAULTS = ("drop_request", "drop_response", "delay", "error_500")
"""The faults the RNG chooses from (``weights`` sets their shares)."""
SYNC_PATH = "/v1/sync/changes"
_NOT_FORWARDED = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailers",
                            "transfer-encoding", "upgrade", "host", "content-length", "date", "server"})

Answer = tuple[int, list[tuple[str, str]], bytes]


@dataclass
class Stall:
    """Hold the ``nth`` request of ``method`` on ``path`` (counted from when it was armed): ``held`` is set once
    it is held, and on ``release`` it goes on (to whoever is left). Held after the server answered it (the answer
    goes out on release), or with ``before_forward`` before the server saw it (then it is dropped, never
    forwarded)."""

    method: str
    path: str
    nth: int
    before_forward: bool = False
    seen: int = 0
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class FaultProxy:
    """A threaded HTTP proxy on 127.0.0.1 in front of ``upstream`` that injects faults (see the module)."""

    def __init__(self, upstream: str, *, seed: int = 0, fault_rate: float = 0.0,
                 weights: dict[str, float] | None = None, delay_range: tuple[float, float] = (0.05, 0.3)) -> None:
        self.upstream = upstream
        self.fault_rate = fault_rate
        self.weights = weights or dict.fromkeys(FAULTS, 1.0)
        if set(self.weights) - set(FAULTS):
            raise ValueError(f"unknown faults: {sorted(set(self.weights) - set(FAULTS))}")
        self.delay_range = delay_range
        self.extra_delay = 0.0
        """Seconds added to every request (to slow a sync down enough to kill it somewhere in the middle)."""
        self.restart_on_pushes: set[int] = set()
        """Ordinals (1-based, counted over the proxy's life) of the pushes during which the server restarts."""
        self.stop_server: Callable[[], None] | None = None
        self.start_server: Callable[[], None] | None = None
        self.counts: Counter[str] = Counter()
        self.pushes = 0
        self.restarts = 0
        self.seen = threading.Condition()
        """Notified after every request is taken in (``counts["requests"]`` has grown)."""
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._stalls: list[Stall] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._handle(self)

            do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 128

            def handle_error(self, request: Any, client_address: Any) -> None:
                proxy._count("handler_error")

        self._server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self._server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread: threading.Thread | None = None

    # --- life ------------------------------------------------------------------------------------------
    def start(self) -> FaultProxy:
        self._thread = threading.Thread(target=self._server.serve_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        for stall in self._stalls:
            stall.release.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    # --- control ---------------------------------------------------------------------------------------
    def reset(self, seed: int) -> None:
        """Back to passing everything through, the counts cleared and the RNG seeded with ``seed``."""
        with self._lock:
            for stall in self._stalls:
                stall.release.set()
            self._stalls.clear()
            self._rng = random.Random(seed)
            self.counts.clear()
            self.fault_rate, self.extra_delay = 0.0, 0.0
            self.restart_on_pushes = set()
            self.pushes = self.restarts = 0

    def stall(self, method: str, path: str = SYNC_PATH, nth: int = 1, *, before_forward: bool = False) -> Stall:
        """Arm a :class:`Stall` (one at a time is enough for the tests; armed ones fire in order)."""
        stall = Stall(method, path, nth, before_forward=before_forward)
        with self._lock:
            self._stalls.append(stall)
        return stall

    def wait_for_requests(self, total: int, timeout: float = 60.0) -> bool:
        """Wait until ``counts["requests"]`` reaches ``total``; False on timeout."""
        with self.seen:
            return self.seen.wait_for(lambda: self.counts["requests"] >= total, timeout)

    def faults(self) -> dict[str, int]:
        """What was done, by kind (requests, pass, each fault, restarts, …)."""
        with self._lock:
            return dict(sorted(self.counts.items()))

    def _count(self, what: str) -> None:
        with self._lock:
            self.counts[what] += 1

    def _decide(self, method: str, path: str) -> tuple[str, float, Stall | None]:
        """What to do with one request: the action, a delay for ``delay``, and a stall that fires on it."""
        with self._lock:
            self.counts["requests"] += 1
            route = path.split("?", 1)[0]
            stall = None
            for armed in self._stalls:
                if armed.method == method and armed.path == route and not armed.held.is_set():
                    armed.seen += 1
                    if armed.seen == armed.nth:
                        stall = armed
                    break
            action, delay = "pass", 0.0
            if method == "POST" and route == SYNC_PATH:
                self.pushes += 1
                if self.pushes in self.restart_on_pushes:
                    action = ("restart_after_commit", "restart_before_forward")[self.restarts % 2]
                    self.restarts += 1
            if action == "pass" and stall is None and self.fault_rate > 0 and self._rng.random() < self.fault_rate:
                kinds = list(self.weights)
                action = self._rng.choices(kinds, weights=[self.weights[k] for k in kinds])[0]
                if action == "delay":
                    delay = self._rng.uniform(*self.delay_range)
            self.counts[action] += 1
            if stall is not None:
                self.counts["stalled"] += 1
        with self.seen:
            self.seen.notify_all()
        return action, delay, stall

    # --- one request -----------------------------------------------------------------------------------
    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        request.close_connection = True  # one request per connection: a dropped one never poisons the next
        length = int(request.headers.get("Content-Length") or 0)
        body = request.rfile.read(length) if length else b""
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _NOT_FORWARDED]
        action, delay, stall = self._decide(request.command, request.path)
        if self.extra_delay:
            time.sleep(self.extra_delay)
        if stall is not None and stall.before_forward:
            stall.held.set()
            stall.release.wait(120)
            action = "drop_request"
        if action == "drop_request":
            self._abort(request)
            return
        if action == "error_500":
            self._reply(request, (500, [("Content-Type", "application/json")],
                                  b'{"detail": "Injected fault: the server had a problem."}'))
            return
        if action == "delay":
            time.sleep(delay)
        if action == "restart_before_forward":
            self._restart_hook(self.stop_server)
        answer = self._forward(request.command, request.path, headers, body)
        if action == "restart_before_forward":
            self._restart_hook(self.start_server)
        if answer is None:
            self._count("upstream_unreachable")
            self._reply(request, (502, [("Content-Type", "application/json")],
                                  b'{"detail": "Bad gateway: the account server is not answering."}'))
            return
        if action == "restart_after_commit":
            self._restart_hook(self.stop_server)
            self._restart_hook(self.start_server)
            self._abort(request)
            return
        if action == "drop_response":
            self._abort(request)
            return
        if stall is not None:
            stall.held.set()
            stall.release.wait(120)
        self._reply(request, answer)

    @staticmethod
    def _restart_hook(hook: Callable[[], None] | None) -> None:
        if hook is None:
            raise RuntimeError("restart_on_pushes needs stop_server and start_server")
        hook()

    def _forward(self, method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> Answer | None:
        """The upstream's answer (status, headers, body), or None when it cannot be reached."""
        target = urlsplit(self.upstream)
        connection = http.client.HTTPConnection(target.hostname or "127.0.0.1", target.port or 80, timeout=60)
        try:
            connection.request(method, path, body=body or None, headers=dict(headers))
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()

    def _reply(self, request: BaseHTTPRequestHandler, answer: Answer) -> None:
        status, headers, body = answer
        try:
            request.send_response(status)
            for name, value in headers:
                if name.lower() not in _NOT_FORWARDED:
                    request.send_header(name, value)
            request.send_header("Content-Length", str(len(body)))
            request.send_header("Connection", "close")
            request.end_headers()
            request.wfile.write(body)
            request.wfile.flush()
        except OSError:
            self._count("client_gone")

    def _abort(self, request: BaseHTTPRequestHandler) -> None:
        """Close the connection at once, no answer (the client sees the connection dropped)."""
        try:
            request.wfile.flush()
            request.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


# --- one sync in its own process (to be killed) ------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    """One sync of a profile through the account client and the engine, as the app does it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", required=True, type=Path)
    parser.add_argument("--server", required=True)
    parser.add_argument("--push-batch", type=int, default=200)
    parser.add_argument("--pull-page", type=int, default=500)
    args = parser.parse_args(argv)

    from oet_desktop.core.storage.keys import DatabaseKey
    from oet_desktop.core.storage.worker import StorageThread
    from oet_desktop.core.sync.client import AccountClient, MemoryTokens
    from oet_desktop.core.sync.engine import SyncEngine
    from oet_desktop.core.sync.protocol import Tokens

    tokens = Tokens(**json.loads(os.environ["OET_FAULTS_TOKENS"]))
    details = os.environ.get("OET_FAULTS_DETAILS_KEY")
    storage = StorageThread(args.profile, DatabaseKey(raw=bytes.fromhex(os.environ["OET_FAULTS_PROFILE_KEY"])))
    try:
        with AccountClient(args.server, MemoryTokens(tokens)) as client:
            print("syncing", flush=True)
            report = SyncEngine(client, storage.call, bytes.fromhex(details) if details else None,
                                push_batch=args.push_batch, pull_page=args.pull_page).sync_once()
        print(report.summary(), flush=True)
    finally:
        storage.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
