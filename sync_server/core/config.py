"""Server settings from the environment (prefix ``OET_SYNC_``) or a ``.env`` file, with embedded defaults:
SQLite and mail written to a folder in the server's data directory, so one command runs a working server."""

from __future__ import annotations

import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

MIN_SECRET_LENGTH = 32


def default_data_dir() -> Path:
    """Where the embedded server keeps its SQLite database, signing key and mail folder."""
    return Path(platformdirs.user_data_dir("oet-sync-server", appauthor=False))


class Settings(BaseSettings):
    """Everything an operator can set. Every field has an environment variable ``OET_SYNC_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="OET_SYNC_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""
    """SQLAlchemy URL, e.g. ``postgresql+psycopg://user:pw@host/db``. Empty: SQLite in ``data_dir``."""
    secret_key: SecretStr | None = None
    """Signs access tokens (HMAC-SHA256). Empty: a random key kept in ``data_dir/secret.key``, shared by the
    workers of one machine. Several machines need the same key."""
    public_url: str = "http://127.0.0.1:8787"
    """The address users reach the server at; links in mails point here."""

    access_token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=60, ge=1, le=365)
    mfa_ticket_minutes: int = Field(default=5, ge=1, le=30)
    verify_token_hours: int = Field(default=48, ge=1, le=24 * 14)
    reset_token_minutes: int = Field(default=60, ge=5, le=24 * 60)

    argon2_time_cost: int = Field(default=2, ge=1, le=20)
    argon2_memory_kib: int = Field(default=19 * 1024, ge=8 * 1024, le=1024 * 1024)
    argon2_parallelism: int = Field(default=1, ge=1, le=16)
    password_min_length: int = Field(default=10, ge=8, le=64)

    mail_mode: Literal["folder", "smtp"] = "folder"
    mail_folder: Path | None = None
    """Where mail goes in the embedded mode (``data_dir/mail`` by default): one ``.eml`` file per message."""
    mail_from: str = "OET Desktop <no-reply@localhost>"
    smtp_host: str = "localhost"
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    smtp_timeout_seconds: float = Field(default=10.0, gt=0)

    rate_limits_enabled: bool = True
    max_request_bytes: int = Field(default=64 * 1024, ge=1024)
    max_sync_request_bytes: int = Field(default=4 * 1024 * 1024, ge=64 * 1024)
    """A sync push (up to 500 changes, some of them sealed practice details)."""
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["127.0.0.1"])
    """Client addresses allowed to set ``X-Forwarded-For`` (the TLS proxy in front of the workers)."""
    metrics_enabled: bool = True
    log_level: str = "INFO"
    log_json: bool = True

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be an SQLAlchemy URL for SQLite or PostgreSQL "
                             "(sqlite:///path or postgresql+psycopg://user:password@host/db)")
        return value

    @cached_property
    def resolved_database_url(self) -> str:
        """The configured database, or the embedded SQLite file in ``data_dir``."""
        return self.database_url or f"sqlite:///{self.data_dir / 'accounts.sqlite3'}"

    @cached_property
    def resolved_mail_folder(self) -> Path:
        """The folder the embedded mode writes mail into."""
        return self.mail_folder or self.data_dir / "mail"

    def signing_key(self) -> str:
        """The token signing key: configured, or created once in ``data_dir`` (mode 0600) and then reused."""
        if self.secret_key is not None:
            key = self.secret_key.get_secret_value()
            if len(key) < MIN_SECRET_LENGTH:
                raise ValueError(f"OET_SYNC_SECRET_KEY must be at least {MIN_SECRET_LENGTH} characters long")
            return key
        path = self.data_dir / "secret.key"
        if not path.exists():
            # Written aside and linked into place, so a worker starting at the same moment never reads half a key.
            self.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)  # the key, the database, live codes
            draft = self.data_dir / f".secret.key.{os.getpid()}"
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(secrets.token_urlsafe(48))
            try:
                os.link(draft, path)
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return path.read_text(encoding="ascii").strip()
