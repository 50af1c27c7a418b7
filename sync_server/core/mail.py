"""Outgoing mail: over SMTP, or into a folder of ``.eml`` files in the embedded mode."""

from __future__ import annotations

import logging
import os
import smtplib
import ssl
import uuid
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol

from sync_server.core.config import Settings

log = logging.getLogger(__name__)


class Mailer(Protocol):
    """Sends one message."""

    def send(self, message: EmailMessage) -> None:
        """Delivers ``message`` or raises."""


class SmtpMailer:
    """Delivers through an SMTP server (optionally TLS, STARTTLS and a login)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    def send(self, message: EmailMessage) -> None:
        s = self._settings
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if s.smtp_ssl:
            client = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        with client:
            if s.smtp_starttls and not s.smtp_ssl:
                client.starttls(context=context)
            if s.smtp_username:
                client.login(s.smtp_username, s.smtp_password.get_secret_value())
            client.send_message(message)


class FolderMailer:
    """Writes each message to ``folder`` as an ``.eml`` file (the embedded server's outbox for one person)."""

    def __init__(self, folder: Path) -> None:
        self._folder = folder

    def send(self, message: EmailMessage) -> None:
        self._folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # the messages hold live codes
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        path = self._folder / f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as handle:
            handle.write(bytes(message))
        log.info("mail written", extra={"path": str(path)})


def make_mailer(settings: Settings) -> Mailer:
    """The mailer the settings ask for."""
    if settings.mail_mode == "smtp":
        return SmtpMailer(settings)
    return FolderMailer(settings.resolved_mail_folder)


def compose(settings: Settings, *, to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message from the server's address."""
    message = EmailMessage()
    message["From"] = settings.mail_from
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="oet-sync-server")
    message.set_content(body)
    return message


def send_quietly(mailer: Mailer, message: EmailMessage) -> None:
    """Sends, logging a failure instead of raising (runs after the response has gone)."""
    try:
        mailer.send(message)
    except Exception:
        log.exception("sending mail failed", extra={"subject": str(message["Subject"])})
