"""The signed-in account: details, verification mail, password, email address, two-factor, export, deletion."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response, status

from sync_server.api.deps import AddressDep, ContextDep, PostMailDep, SessionDep, SignedInDep
from sync_server.api.responses import errors
from sync_server.schemas import (
    Account,
    AccountDeletion,
    EmailChangeRequest,
    Message,
    PasswordChange,
    PasswordCheck,
    RecoveryCodes,
    TokenRequest,
    TwoFactorCode,
    TwoFactorDisable,
    TwoFactorEnrolment,
)
from sync_server.services import accounts

router = APIRouter(prefix="/v1/account", tags=["account"])


@router.get("", responses=errors(401, 403))
def read_account(signed_in: SignedInDep) -> Account:
    """The signed-in account."""
    return accounts.account_view(signed_in.user)


@router.post("/verification-email", status_code=status.HTTP_202_ACCEPTED, responses=errors(401, 403, 409, 429))
def resend_verification(signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                        post: PostMailDep) -> Message:
    """Mails a new verification code."""
    return Message(message=accounts.resend_verification(ctx, session, signed_in.user, post))


@router.post("/password", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 422, 429))
def change_password(body: PasswordChange, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                    address: AddressDep, post: PostMailDep) -> Response:
    """Changes the password; the other devices are signed out."""
    accounts.change_password(ctx, session, signed_in.user, signed_in.device, body.current_password,
                             body.new_password, address, post)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/email", status_code=status.HTTP_202_ACCEPTED, responses=errors(401, 403, 409, 422, 429))
def request_email_change(body: EmailChangeRequest, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                         address: AddressDep, post: PostMailDep) -> Message:
    """Mails a confirmation code to the new address."""
    return Message(message=accounts.request_email_change(ctx, session, signed_in.user, body.new_email,
                                                         body.password, address, post))


@router.post("/email/confirm", responses=errors(400, 409, 422, 429))
def confirm_email_change(body: TokenRequest, ctx: ContextDep, session: SessionDep, address: AddressDep,
                         post: PostMailDep) -> Account:
    """Switches the account to the new address with the mailed code."""
    return accounts.account_view(accounts.confirm_email_change(ctx, session, body.token, address, post))


@router.post("/two-factor", responses=errors(401, 403, 409, 422, 429))
def start_two_factor(body: PasswordCheck, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                     address: AddressDep) -> TwoFactorEnrolment:
    """Starts two-factor enrolment: a secret, its otpauth URI and a QR code to scan."""
    return accounts.start_two_factor(ctx, session, signed_in.user, body.password, address)


@router.post("/two-factor/confirm", responses=errors(401, 403, 409, 422, 429))
def confirm_two_factor(body: TwoFactorCode, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                       address: AddressDep) -> RecoveryCodes:
    """Turns two-factor sign-in on with a first code; answers the ten recovery codes (shown once)."""
    return accounts.confirm_two_factor(ctx, session, signed_in.user, body.code, address)


@router.post("/two-factor/disable", status_code=status.HTTP_204_NO_CONTENT,
             responses=errors(401, 403, 409, 422, 429))
def disable_two_factor(body: TwoFactorDisable, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                       address: AddressDep, post: PostMailDep) -> Response:
    """Turns two-factor sign-in off (password and a code)."""
    accounts.disable_two_factor(ctx, session, signed_in.user, body.password, body.code, address, post)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/two-factor/recovery-codes", responses=errors(401, 403, 409, 422, 429))
def regenerate_recovery_codes(body: TwoFactorCode, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                              address: AddressDep) -> RecoveryCodes:
    """Replaces the ten recovery codes."""
    return accounts.regenerate_recovery_codes(ctx, session, signed_in.user, body.code, address)


@router.get("/export", responses=errors(401, 403))
def export_account(signed_in: SignedInDep, session: SessionDep) -> dict[str, Any]:
    """Everything the server holds about the account, as JSON (GDPR access and portability)."""
    return accounts.export(session, signed_in.user)


@router.post("/delete", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403, 422, 429))
def delete_account(body: AccountDeletion, signed_in: SignedInDep, ctx: ContextDep, session: SessionDep,
                   address: AddressDep, post: PostMailDep) -> Response:
    """Deletes the account and everything the server holds about it (GDPR erasure)."""
    accounts.delete_account(ctx, session, signed_in.user, body.password, body.code, address, post)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
