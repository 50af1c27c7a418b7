"""A real account server in a subprocess (``python -m sync_server serve``), and an HTTP client for it."""

from __future__ import annotations

import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
import pyotp

from tests.server.smtp import MailCatcher

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "violet-harbour-71-lantern"
TOKEN_IN_MAIL = re.compile(r"^  ([A-Za-z0-9_-]{30,})\r?$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """``oet-sync-server serve`` on a free loopback port, mailing through ``mail`` (SMTP) when given."""

    def __init__(self, database_url: str, data_dir: Path, *, workers: int = 1, mail: MailCatcher | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.workers = workers
        self.mail = mail
        self.extra_env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir / "server.log"
        self._process: subprocess.Popen[bytes] | None = None

    def environment(self) -> dict[str, str]:
        env = {**os.environ, "OET_SYNC_SECRET_KEY": "test-secret-" + "k" * 40, "OET_SYNC_PUBLIC_URL": self.url,
               "OET_SYNC_TRUSTED_PROXIES": "127.0.0.1", "PYTHONPATH": str(REPO)}
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        if self.mail is not None:
            env.update({"OET_SYNC_MAIL_MODE": "smtp", "OET_SYNC_SMTP_HOST": self.mail.host,
                        "OET_SYNC_SMTP_PORT": str(self.mail.port)})
        env.update(self.extra_env)
        return env

    def start(self) -> LiveServer:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "sync_server", "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--workers", str(self.workers), "--database-url", self.database_url,
                   "--data-dir", str(self.data_dir)]
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(command, env=self.environment(), stdout=log, stderr=subprocess.STDOUT,
                                             cwd=REPO,
                                             start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the server exited ({self._process.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the server did not become ready in 60 s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.stop()


def new_email(tag: str = "user") -> str:
    return f"{tag}-{secrets.token_hex(5)}@example.org"


def random_address() -> str:
    """A client address from a private range (sent as X-Forwarded-For; the server trusts loopback)."""
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def token_from(message: Any) -> str:
    """The code in a mail from the server (on its own indented line)."""
    body = message.get_body(preferencelist=("plain",)).get_content()
    match = TOKEN_IN_MAIL.search(body)
    assert match, f"no code in the mail:\n{body}"
    return match.group(1)


@dataclass
class Client:
    """One simulated computer: its own client address, and the tokens it holds."""

    server: LiveServer
    address: str = field(default_factory=random_address)
    access_token: str | None = None
    refresh_token: str | None = None
    device_id: str | None = None

    def __post_init__(self) -> None:
        self.http = httpx.Client(base_url=self.server.url, timeout=30)

    def request(self, method: str, path: str, *, json: Any = None, auth: bool = True,
                headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        sent = {"X-Forwarded-For": self.address, **(headers or {})}
        if auth and self.access_token:
            sent["Authorization"] = f"Bearer {self.access_token}"
        return self.http.request(method, path, json=json, headers=sent, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, json=json, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def take_tokens(self, response: httpx.Response) -> dict[str, Any]:
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["status"] == "signed_in", body
        self.access_token, self.refresh_token, self.device_id = (body["access_token"], body["refresh_token"],
                                                                 body["device_id"])
        return body

    def login(self, email: str, password: str = PASSWORD, *, totp_secret: str | None = None,
              device_name: str = "Test computer") -> httpx.Response:
        response = self.post("/v1/auth/login", {"email": email, "password": password, "device_name": device_name},
                             auth=False)
        if response.status_code == 200 and response.json()["status"] == "two_factor_required" and totp_secret:
            code = pyotp.TOTP(totp_secret).now()
            response = self.post("/v1/auth/login/two-factor", {"ticket": response.json()["ticket"], "code": code},
                                 auth=False)
        if response.status_code == 200 and response.json()["status"] == "signed_in":
            self.take_tokens(response)
        return response

    def close(self) -> None:
        self.http.close()


def register_verified(server: LiveServer, mail: MailCatcher, email: str | None = None,
                      password: str = PASSWORD) -> tuple[Client, str]:
    """Registers, verifies through the mailed code and signs in: a ready client and its email."""
    email = email or new_email()
    client = Client(server)
    response = client.post("/v1/auth/register", {"email": email, "password": password}, auth=False)
    assert response.status_code == 202, response.text
    token = token_from(mail.wait_for(email, "Verify"))
    verified = client.post("/v1/auth/verify-email", {"token": token}, auth=False)
    assert verified.status_code == 200, verified.text
    assert client.login(email, password).status_code == 200
    return client, email
