"""Everything a request needs, built once per process from the settings and passed in (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sync_server.core.background import Background
from sync_server.core.config import Settings
from sync_server.core.db import Database
from sync_server.core.mail import Mailer, make_mailer
from sync_server.core.ratelimit import RateLimiter
from sync_server.core.security import Passwords, TokenSigner
from sync_server.models import Base, RateCounter


def counters_database(database: Database) -> Database:
    """Where the rate limits count. PostgreSQL: the same database. SQLite: a file of its own beside it, because
    SQLite locks the whole file for a write: a request holding the write lock while its rate limit commits on
    another connection would wait on itself."""
    url = database.engine.url
    if not database.is_sqlite or url.database in (None, "", ":memory:"):
        return database
    counters = Database.from_url(str(url.set(database=f"{url.database}-ratelimits")))
    Base.metadata.create_all(counters.engine, tables=[RateCounter.__table__])  # type: ignore[list-item]
    return counters


@dataclass
class ServerContext:
    """The settings and the services built from them."""

    settings: Settings
    database: Database
    passwords: Passwords
    signer: TokenSigner
    limiter: RateLimiter
    mailer: Mailer
    background: Background = field(default_factory=Background)

    @classmethod
    def from_settings(cls, settings: Settings, *, mailer: Mailer | None = None) -> ServerContext:
        """Builds the database, hasher, token signer, rate limiter and mailer the settings describe."""
        database = Database.from_url(settings.resolved_database_url)
        signing_key = settings.signing_key()
        return cls(
            settings=settings,
            database=database,
            passwords=Passwords(time_cost=settings.argon2_time_cost, memory_kib=settings.argon2_memory_kib,
                                parallelism=settings.argon2_parallelism),
            signer=TokenSigner(signing_key),
            limiter=RateLimiter(counters_database(database), secret=signing_key,
                                enabled=settings.rate_limits_enabled),
            mailer=mailer or make_mailer(settings),
        )

    def dispose(self) -> None:
        """Closes the database connections (the counters' too, when they are kept apart)."""
        self.background.shutdown()
        if self.limiter.database is not self.database:
            self.limiter.database.dispose()
        self.database.dispose()
