"""A real throwaway PostgreSQL cluster for tests, started from Debian's binaries (works as root and as a user)."""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg
from psycopg import sql

_START_ATTEMPTS = 3
"""Tries with a fresh port each, in case another process takes the free port between picking and binding it."""


def _free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_bindir() -> Path:
    """The ``bin`` folder of the newest PostgreSQL installed under ``/usr/lib/postgresql``."""
    candidates = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/initdb")]

    def version(bindir: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))

    if not candidates:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql/*/bin: "
                           "`apt-get install postgresql` is needed to run these tests")
    return max(candidates, key=version)


class ThrowawayPostgres:
    """A private PostgreSQL cluster in a temporary folder, listening on 127.0.0.1 at a free port, trusting every
    local connection as superuser ``postgres``, tuned for speed over durability. Removed, data and all, by
    :meth:`stop`. As root the server runs as the ``postgres`` system user (PostgreSQL refuses to run as root)."""

    def __init__(self) -> None:
        self.bindir = find_bindir()
        self.port = 0
        self._tmp: Path | None = None
        self._running = False
        self._as_postgres = os.geteuid() == 0

    @property
    def datadir(self) -> Path:
        return self._dir / "data"

    @property
    def socket_dir(self) -> Path:
        return self._dir / "socket"

    @property
    def logfile(self) -> Path:
        return self._dir / "postgres.log"

    @property
    def _dir(self) -> Path:
        if self._tmp is None:
            raise RuntimeError("the cluster is not started")
        return self._tmp

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of the cluster's binaries, as ``postgres`` when we are root; never raises on failure."""
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, cwd=self._dir, capture_output=True, text=True, check=False, timeout=120)

    def _log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.logfile.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log file)"

    def start(self) -> ThrowawayPostgres:
        """Create the cluster (initdb) and start the server; waits until it accepts connections."""
        if self._running:
            return self
        self._tmp = Path(tempfile.mkdtemp(prefix="oet-pg-", dir="/tmp"))
        try:
            self.socket_dir.mkdir()
            if self._as_postgres:
                user = pwd.getpwnam("postgres")
                for path in (self._dir, self.socket_dir):
                    os.chown(path, user.pw_uid, user.pw_gid)
            self._initdb()
            self._start_server()
        except BaseException:
            self.stop()
            raise
        atexit.register(self.stop)
        return self

    def _initdb(self) -> None:
        base = ("initdb", "-D", str(self.datadir), "--auth=trust", "--username=postgres", "--encoding=UTF8")
        result = self._run(*base, "--locale=C.UTF-8")
        if result.returncode != 0:
            shutil.rmtree(self.datadir, ignore_errors=True)
            result = self._run(*base, "--locale=C")
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")

    def _start_server(self) -> None:
        result: subprocess.CompletedProcess[str] | None = None
        for _ in range(_START_ATTEMPTS):
            self.port = _free_port()
            options = (f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                       "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
            result = self._run("pg_ctl", "-w", "-D", str(self.datadir), "-o", options, "-l", str(self.logfile),
                               "start")
            if result.returncode == 0:
                self._running = True
                return
            if "could not bind" not in self._log_tail(100) and "in use" not in self._log_tail(100):
                break
        assert result is not None
        raise RuntimeError(f"pg_ctl start failed ({result.returncode}):\n{result.stdout}\n{result.stderr}\n"
                           f"--- tail of {self.logfile} ---\n{self._log_tail()}")

    def stop(self) -> None:
        """Stop the server at once (no checkpoint) and delete the cluster. Safe to call more than once."""
        if self._running:
            self._running = False
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None
        atexit.unregister(self.stop)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        """An autocommit psycopg connection as superuser ``postgres`` to ``dbname``."""
        if not self._running:
            raise RuntimeError("the cluster is not running")
        return psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}", autocommit=True)

    def url(self, name: str) -> str:
        """The SQLAlchemy URL (psycopg 3 driver) of database ``name`` in this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def create_database(self, name: str) -> str:
        """Create the empty database ``name`` and return its SQLAlchemy URL."""
        with self.connect() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` (if it exists), first terminating every other connection to it."""
        with self.connect() as conn:
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
