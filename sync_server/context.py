"""Everything a request needs, built once per process from the settings and passed in (no globals)."""

from __future__ import annotations

from dataclasses import dataclass

from sync_server.core.config import Settings
from sync_server.core.db import Database
from sync_server.core.mail import Mailer, make_mailer
from sync_server.core.ratelimit import RateLimiter
from sync_server.core.security import Passwords, TokenSigner


@dataclass
class ServerContext:
    """The settings and the services built from them."""

    settings: Settings
    database: Database
    passwords: Passwords
    signer: TokenSigner
    limiter: RateLimiter
    mailer: Mailer

    @classmethod
    def from_settings(cls, settings: Settings, *, mailer: Mailer | None = None) -> ServerContext:
        """Builds the database, hasher, token signer, rate limiter and mailer the settings describe."""
        database = Database.from_url(settings.resolved_database_url)
        return cls(
            settings=settings,
            database=database,
            passwords=Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                                parallelism=settings.argon2_parallelism),
            signer=TokenSigner(settings.signing_key()),
            limiter=RateLimiter(database, enabled=settings.rate_limits_enabled),
            mailer=mailer or make_mailer(settings),
        )
