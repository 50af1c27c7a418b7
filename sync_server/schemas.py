"""Request and response bodies (pydantic v2). Every field is bounded, so bad input is a clear 422."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

Password = Annotated[str, Field(min_length=1, max_length=256)]
Token = Annotated[str, StringConstraints(min_length=16, max_length=512, pattern=r"^[A-Za-z0-9._~-]+$")]
OtpCode = Annotated[str, StringConstraints(min_length=6, max_length=20, pattern=r"^[0-9A-Za-z -]+$")]
DeviceName = Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True,
                                             pattern=r"^[^\x00-\x1f\x7f]+$")]
"""Free text that is stored: no control characters (PostgreSQL cannot store NUL)."""
ClientId = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]


class Strict(BaseModel):
    """Refuses unknown fields, so a misspelt field is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class ErrorBody(BaseModel):
    """Every error: a sentence saying what is wrong."""

    detail: str


class FieldError(BaseModel):
    """One invalid input: where (``["body", "email"]``), why, and the kind of error; never the value sent."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorBody(BaseModel):
    """A 422: every invalid input."""

    detail: list[FieldError]


class Message(BaseModel):
    """An acknowledgement in words."""

    message: str


class RegisterRequest(Strict):
    email: EmailStr
    password: Password


class SignInRequest(Strict):
    email: EmailStr
    password: Password
    device_name: DeviceName = "OET Desktop"
    client_id: ClientId | None = None


class TwoFactorSignInRequest(Strict):
    ticket: Annotated[str, Field(min_length=16, max_length=2048)]
    code: OtpCode
    """A six-digit code from the authenticator app, or one of the recovery codes."""


class RefreshRequest(Strict):
    refresh_token: Token


class TokenPair(BaseModel):
    """A signed-in device's tokens."""

    status: Literal["signed_in"] = "signed_in"
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    """Seconds until the access token expires."""
    device_id: str


class TwoFactorRequired(BaseModel):
    """The password was right and the account has two-factor sign-in: send a code with this ticket."""

    status: Literal["two_factor_required"] = "two_factor_required"
    ticket: str
    expires_in: int


class TokenRequest(Strict):
    token: Token


class PasswordResetRequest(Strict):
    email: EmailStr


class PasswordResetConfirm(Strict):
    token: Token
    new_password: Password


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


class EmailChangeRequest(Strict):
    new_email: EmailStr
    password: Password


class PasswordCheck(Strict):
    password: Password


class AccountDeletion(Strict):
    password: Password
    code: OtpCode | None = None
    """Needed when two-factor sign-in is on."""


class TwoFactorCode(Strict):
    code: OtpCode


class TwoFactorDisable(Strict):
    password: Password
    code: OtpCode


class Account(BaseModel):
    """The signed-in account."""

    id: str
    email: str
    email_verified: bool
    created_at: datetime
    two_factor_enabled: bool
    plan: str
    plan_expires_at: datetime | None


class DeviceOut(BaseModel):
    id: str
    name: str
    created_at: datetime
    last_seen_at: datetime
    current: bool
    """Whether this is the device making the request."""


class TwoFactorEnrolment(BaseModel):
    """Add this to an authenticator app, then confirm with a code."""

    secret: str
    otpauth_uri: str
    qr_svg: str


class RecoveryCodes(BaseModel):
    """Ten single-use codes; shown once."""

    recovery_codes: list[str]


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    database: bool
    migrations_current: bool
    detail: str = ""


SYNC_PROTOCOL = 1
"""The sync protocol this server speaks (``OET-Sync-Protocol`` header)."""
SyncEntity = Literal["profile", "setting", "session", "feedback", "session_detail", "feedback_report"]
IdempotencyKey = Annotated[str, StringConstraints(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
EntityId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=r"^[^\x00-\x1f\x7f]+$")]
SealedBlob = Annotated[str, StringConstraints(min_length=16, max_length=1_500_000, pattern=r"^[A-Za-z0-9_-]+={0,2}$")]


class SyncChangeIn(Strict):
    """One change a device pushes: plain ``data`` for summaries and scores, or a ``sealed`` blob for details."""

    key: IdempotencyKey
    entity: SyncEntity
    entity_id: EntityId
    op: Literal["upsert", "delete"]
    changed_at: AwareDatetime
    """When the change was made; at most a day ahead of the server's clock (a computer whose clock is far ahead
    would otherwise win every later edit)."""
    origin: ClientId
    data: dict[str, Any] | None = None
    sealed: SealedBlob | None = None


class SyncPush(Strict):
    changes: Annotated[list[SyncChangeIn], Field(max_length=500)]


class SyncPushResult(BaseModel):
    accepted: int
    """Changes added to the log."""
    duplicates: int
    """Changes the log already had (a batch sent again after a lost answer)."""


class SyncChangeOut(BaseModel):
    seq: int
    key: str
    entity: str
    entity_id: str
    op: str
    changed_at: datetime
    origin: str
    data: dict[str, Any] | None
    sealed: str | None


class SyncPull(BaseModel):
    changes: list[SyncChangeOut]
    cursor: str
    """Give this back to get the changes after these."""
    more: bool


class ResyncRequired(BaseModel):
    """The cursor does not fit this server's log (another server, or one restored from an older backup)."""

    detail: str
    code: Literal["resync_required"] = "resync_required"
