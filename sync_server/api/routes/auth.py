"""Registration, email verification, sign-in (with the two-factor step), refresh, sign-out, password reset."""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import HTMLResponse

from sync_server.api.deps import AddressDep, ContextDep, LaterDep, PostMailDep, SessionDep, SignedInDep
from sync_server.api.responses import errors, json_errors
from sync_server.errors import ServiceError
from sync_server.schemas import (
    Account,
    Message,
    PasswordResetConfirm,
    PasswordResetRequest,
    RefreshRequest,
    RegisterRequest,
    SignInRequest,
    Token,
    TokenPair,
    TokenRequest,
    TwoFactorRequired,
    TwoFactorSignInRequest,
)
from sync_server.services import accounts, sessions

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_202_ACCEPTED, responses=errors(422, 429))
def register(body: RegisterRequest, ctx: ContextDep, session: SessionDep, address: AddressDep,
             post: PostMailDep) -> Message:
    """Creates an account and mails a verification code (the same answer if the address is taken)."""
    return Message(message=accounts.register(ctx, session, body.email, body.password, address, post))


@router.post("/verify-email", responses=errors(400, 422, 429))
def verify_email(body: TokenRequest, ctx: ContextDep, session: SessionDep, address: AddressDep) -> Account:
    """Verifies the address with the mailed code."""
    return accounts.account_view(accounts.verify_email(ctx, session, body.token, address))


@router.get("/verify-email", response_class=HTMLResponse, responses={
    **json_errors(422, 429),
    400: {"description": "A page saying the link is not valid, used, or expired",
          "content": {"text/html": {"schema": {"type": "string"}}}}})
def verify_email_link(token: Annotated[Token, Query()], ctx: ContextDep, session: SessionDep,
                      address: AddressDep) -> HTMLResponse:
    """The link in the verification mail: verifies and shows a short page."""
    try:
        user = accounts.verify_email(ctx, session, token, address)
    except ServiceError as error:
        if error.status != 400:
            raise
        return HTMLResponse(_page("This link has expired", error.detail), status_code=400)
    return HTMLResponse(_page("Email address verified",
                              f"{escape(user.email)} is verified. You can go back to OET Desktop."))


def _page(title: str, text: str) -> str:
    return (f"<!doctype html><html lang=en><meta charset=utf-8><title>{escape(title)}</title>"
            f"<body style='font-family:sans-serif;max-width:36em;margin:4em auto'><h1>{escape(title)}</h1>"
            f"<p>{escape(text)}</p></body></html>")


@router.post("/login", responses=errors(401, 403, 422, 429))
def sign_in(body: SignInRequest, ctx: ContextDep, session: SessionDep, address: AddressDep,
            later: LaterDep) -> TokenPair | TwoFactorRequired:
    """Signs in with email and password: tokens, or a ticket for the two-factor step."""
    return sessions.sign_in(ctx, session, body, address, later)


@router.post("/login/two-factor", responses=errors(401, 422, 429))
def sign_in_two_factor(body: TwoFactorSignInRequest, ctx: ContextDep, session: SessionDep,
                       address: AddressDep) -> TokenPair:
    """The second step of sign-in: an authenticator code or a recovery code with the ticket."""
    return sessions.sign_in_second_step(ctx, session, body, address)


@router.post("/refresh", responses=errors(401, 403, 409, 422, 429))
def refresh(body: RefreshRequest, ctx: ContextDep, session: SessionDep, address: AddressDep) -> TokenPair:
    """Exchanges a refresh token for new tokens; a replaced token used again signs the device out."""
    return sessions.refresh(ctx, session, body.refresh_token, address)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses=errors(401, 403))
def sign_out(signed_in: SignedInDep, session: SessionDep, address: AddressDep) -> Response:
    """Signs out this device (its tokens stop working at once)."""
    sessions.sign_out(session, signed_in, address)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/password-reset", status_code=status.HTTP_202_ACCEPTED, responses=errors(422, 429))
def request_password_reset(body: PasswordResetRequest, ctx: ContextDep, address: AddressDep,
                           later: LaterDep) -> Message:
    """Mails a reset code if an account uses the address (the answer never says whether one does)."""
    return Message(message=accounts.request_password_reset(ctx, body.email, address, later))


@router.post("/password-reset/confirm", status_code=status.HTTP_204_NO_CONTENT, responses=errors(400, 422, 429))
def reset_password(body: PasswordResetConfirm, ctx: ContextDep, session: SessionDep, address: AddressDep,
                   post: PostMailDep) -> Response:
    """Sets a new password with the mailed code; every device is signed out."""
    accounts.reset_password(ctx, session, body.token, body.new_password, address, post)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
