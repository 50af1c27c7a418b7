"""The database tables (SQLAlchemy 2). Every row that belongs to an account references ``users.id`` with
``ON DELETE CASCADE``, so erasing an account removes all of it in one statement."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id() -> str:
    """A random UUID as text (the same type on SQLite and PostgreSQL)."""
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite keeps no zone of its own)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (so migrations match on both databases)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class User(Base):
    """An account. ``plan`` is what an operator granted (subscriptions build on it)."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    email_verified_at: Mapped[datetime | None]
    disabled_at: Mapped[datetime | None]
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    totp_last_step: Mapped[int | None] = mapped_column(Integer)
    """The last accepted TOTP time step: a code is accepted once."""
    plan: Mapped[str] = mapped_column(String(32), default="free", server_default="free")
    plan_expires_at: Mapped[datetime | None]
    plan_note: Mapped[str | None] = mapped_column(String(200))

    devices: Mapped[list[Device]] = relationship(back_populates="user", cascade="all, delete-orphan",
                                                 passive_deletes=True)


class Device(Base):
    """One signed-in copy of the app: a chain of refresh tokens. Revoking it signs that copy out."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str | None] = mapped_column(String(64))
    """The app's own install id, when it sends one (sync uses it to tell its devices apart)."""
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_address: Mapped[str | None] = mapped_column(String(64))
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(32))

    user: Mapped[User] = relationship(back_populates="devices")


class RefreshToken(Base):
    """A refresh token (only its SHA-256 is kept). Each use replaces it with a new one; a replaced token
    presented again after its successor was used revokes the whole chain (the device)."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    replaced_by_id: Mapped[str | None] = mapped_column(String(36))


class EmailToken(Base):
    """A single-use, expiring token sent by mail: verify an address, reset a password, change the address."""

    __tablename__ = "email_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    new_email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class RecoveryCode(Base):
    """One of the ten single-use two-factor recovery codes (only its SHA-256 is kept)."""

    __tablename__ = "recovery_codes"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None]


class AccountEvent(Base):
    """The account's security history (sign-ins, password and address changes), shown in the export."""

    __tablename__ = "account_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    address: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class RateCounter(Base):
    """A fixed-window request counter shared by every worker. ``key`` is a SHA-256 of the rule and its
    subject, so no address or email is stored here."""

    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    window_start: Mapped[datetime]
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class SyncChange(Base):
    """One change in an account's sync log, as a device pushed it. The server keeps the log in order (``seq``) and
    never reads sealed payloads: practice details arrive encrypted with a key only the candidate's computers have."""

    __tablename__ = "sync_changes"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
                                     autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(64))
    """The change's idempotency key (made by the device): a change pushed twice is kept once."""
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(128))
    op: Mapped[str] = mapped_column(String(8))
    changed_at: Mapped[datetime]
    origin: Mapped[str] = mapped_column(String(64))
    data: Mapped[str | None] = mapped_column(Text)
    sealed: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


Index("ix_account_events_user_at", AccountEvent.user_id, AccountEvent.at)
Index("ix_sync_changes_user_seq", SyncChange.user_id, SyncChange.seq)
Index("ix_devices_user_client", Device.user_id, Device.client_id)
