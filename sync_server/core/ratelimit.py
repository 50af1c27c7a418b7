"""Rate limits kept in the database, so every worker (and every machine) counts the same hits.

A rule allows ``hits`` in a fixed window of ``window_seconds`` per subject (an address, an account, or both).
Each hit is one atomic upsert, committed at once, so a request that fails afterwards still counts."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import random
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Table, case, delete, update
from sqlalchemy.dialects import postgresql, sqlite

from sync_server.core.db import Database
from sync_server.models import RateCounter, utcnow


@dataclass(frozen=True)
class Rule:
    """At most ``hits`` per subject in ``window_seconds``."""

    name: str
    hits: int
    window_seconds: int


@dataclass(frozen=True)
class Verdict:
    """Whether a request may go on, and if not, how many seconds until it may."""

    allowed: bool
    retry_after: int = 0


class RateLimitExceeded(Exception):
    """Too many requests; ``retry_after`` seconds until the window ends."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many requests; retry after {retry_after} s")
        self.retry_after = retry_after


# The rules. Failures are counted *before* the password or code is checked (and taken back when it was right), so
# guesses sent in parallel cannot all slip in under the limit. Sign-in failures are counted per account *and
# address*, so an attacker hammering one account is stopped without locking its owner out from another computer;
# a higher per-account bound brakes attacks spread over many addresses.
REGISTER_PER_ADDRESS = Rule("register/address", 10, 3600)
SIGN_IN_PER_ADDRESS = Rule("sign-in/address", 60, 900)
SIGN_IN_FAILURES_PER_ACCOUNT_ADDRESS = Rule("sign-in-failures/account+address", 5, 900)
SIGN_IN_FAILURES_PER_ACCOUNT = Rule("sign-in-failures/account", 50, 3600)
TWO_FACTOR_FAILURES_PER_ACCOUNT = Rule("two-factor-failures/account", 5, 900)
TWO_FACTOR_PER_ADDRESS = Rule("two-factor/address", 30, 900)
RESET_PER_ADDRESS = Rule("password-reset/address", 10, 3600)
RESET_PER_EMAIL = Rule("password-reset/email", 3, 3600)
MAIL_TOKEN_PER_ADDRESS = Rule("mail-token/address", 30, 3600)
PASSWORD_CHECK_FAILURES_PER_ACCOUNT = Rule("password-check-failures/account", 10, 900)
MAIL_SEND_PER_ACCOUNT = Rule("mail-send/account", 5, 3600)
REFRESH_PER_ADDRESS = Rule("refresh/address", 600, 900)


def _address_block(part: str) -> str:
    """An IPv6 client counts by its /64 (one customer's network), or it could use a new address per request."""
    try:
        address = ipaddress.ip_address(part)
    except ValueError:
        return part
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return part


class RateLimiter:
    """Counts hits per rule and subject in the ``rate_counters`` table."""

    def __init__(self, database: Database, *, secret: str, enabled: bool = True) -> None:
        self._database = database
        self._secret = secret.encode()
        self._enabled = enabled
        self._insert = postgresql.insert if database.engine.dialect.name == "postgresql" else sqlite.insert

    @property
    def database(self) -> Database:
        """Where the counters are kept."""
        return self._database

    def _key(self, rule: Rule, subject: str) -> str:
        """An HMAC of rule and subject with the server's secret: the table cannot be reversed by guessing emails."""
        parts = "|".join(_address_block(part) for part in subject.lower().split("|"))
        return hmac.new(self._secret, f"{rule.name}\x00{parts}".encode(), hashlib.sha256).hexdigest()

    def hit(self, rule: Rule, subject: str) -> Verdict:
        """Counts one hit; refuses it once the window's allowance is spent."""
        if not self._enabled:
            return Verdict(True)
        now = utcnow()
        window = timedelta(seconds=rule.window_seconds)
        table = RateCounter.__table__
        assert isinstance(table, Table)
        expired = table.c.window_start <= now - window
        insert = self._insert(table).values(key=self._key(rule, subject), window_start=now, hits=1,
                                            expires_at=now + window)
        statement = insert.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"hits": case((expired, 1), else_=table.c.hits + 1),
                  "window_start": case((expired, now), else_=table.c.window_start),
                  "expires_at": case((expired, now + window), else_=table.c.expires_at)},
        ).returning(table.c.hits, table.c.window_start)
        with self._database.engine.begin() as connection:
            hits, window_start = connection.execute(statement).one()
            if random.random() < 0.01:
                connection.execute(delete(RateCounter).where(RateCounter.expires_at < now))
        if window_start.tzinfo is None:
            window_start = window_start.replace(tzinfo=now.tzinfo)
        if hits <= rule.hits:
            return Verdict(True)
        return Verdict(False, max(1, math.ceil((window_start + window - now).total_seconds())))

    def release(self, rule: Rule, subject: str) -> None:
        """Takes back one hit (an attempt counted in advance that turned out to be good)."""
        if not self._enabled:
            return
        with self._database.engine.begin() as connection:
            connection.execute(update(RateCounter).where(RateCounter.key == self._key(rule, subject),
                                                         RateCounter.hits > 0)
                               .values(hits=RateCounter.hits - 1))

    def clear(self, rule: Rule, subject: str) -> None:
        """Forgets a subject's hits (e.g. failures, after a successful sign-in)."""
        if not self._enabled:
            return
        with self._database.engine.begin() as connection:
            connection.execute(delete(RateCounter).where(RateCounter.key == self._key(rule, subject)))

    def enforce(self, rule: Rule, subject: str) -> None:
        """Counts a hit and raises RateLimitExceeded when it is over the limit."""
        verdict = self.hit(rule, subject)
        if not verdict.allowed:
            raise RateLimitExceeded(verdict.retry_after)
