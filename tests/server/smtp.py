"""A local SMTP server for tests that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Received:
    """One message as delivered: the envelope recipients (lower-cased) and the parsed message."""

    recipients: tuple[str, ...]
    message: EmailMessage


class _Handler:
    def __init__(self, catcher: MailCatcher) -> None:
        self._catcher = catcher

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        raw = content if isinstance(content, bytes) else str(content).encode()
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self._catcher._add(Received(tuple(r.lower() for r in envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class MailCatcher:
    """An SMTP server on 127.0.0.1 at a free port (no TLS, no auth) that records every message in memory."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._received: list[Received] = []
        self._controller: Controller | None = None
        self._port = 0

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        if self._controller is None:
            raise RuntimeError("the mail catcher is not started")
        return self._port

    def start(self) -> MailCatcher:
        """Start listening (in aiosmtpd's own thread)."""
        if self._controller is None:
            self._port = _free_port()
            controller = Controller(_Handler(self), hostname=self.host, port=self._port)
            controller.start()
            self._controller = controller
        return self

    def stop(self) -> None:
        """Stop listening; the messages received so far are kept."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> MailCatcher:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _add(self, received: Received) -> None:
        with self._lock:
            self._received.append(received)

    @property
    def received(self) -> list[Received]:
        """Everything received so far, oldest first (a copy)."""
        with self._lock:
            return list(self._received)

    @property
    def messages(self) -> list[EmailMessage]:
        """Every message received so far, oldest first."""
        return [r.message for r in self.received]

    def messages_to(self, address: str) -> list[EmailMessage]:
        """The messages whose envelope recipients include ``address`` (case-insensitive), oldest first."""
        address = address.lower()
        return [r.message for r in self.received if address in r.recipients]

    def wait_for(self, address: str, subject_contains: str, timeout: float = 10.0) -> EmailMessage:
        """The first message to ``address`` whose subject contains ``subject_contains``, waiting up to
        ``timeout`` seconds for it; AssertionError listing what did arrive if none does."""
        deadline = time.monotonic() + timeout
        while True:
            for message in self.messages_to(address):
                if subject_contains in str(message.get("subject", "")):
                    return message
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
        arrived = [(list(r.recipients), str(r.message.get("subject", ""))) for r in self.received]
        raise AssertionError(f"no message to {address!r} with {subject_contains!r} in its subject within "
                             f"{timeout}s; received (recipients, subject): {arrived or 'nothing'}")

    def clear(self) -> None:
        """Forget every message received so far."""
        with self._lock:
            self._received.clear()
