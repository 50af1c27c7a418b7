"""The wording of every mail the server sends (our own words; plain text)."""

from __future__ import annotations

from email.message import EmailMessage

from sync_server.core.config import Settings
from sync_server.core.mail import compose

SIGNATURE = "\n\n— OET Desktop account service\n(If you did not expect this message, you can ignore it.)\n"


def verification(settings: Settings, to: str, token: str, hours: int) -> EmailMessage:
    link = f"{settings.public_url.rstrip('/')}/v1/auth/verify-email?token={token}"
    return compose(settings, to=to, subject="Verify your email address for OET Desktop", body=(
        "Welcome to OET Desktop.\n\nTo confirm this address belongs to you, open this link:\n\n"
        f"  {link}\n\nor paste this code in the app (Settings → Account):\n\n  {token}\n\n"
        f"The link works once and expires in {hours} hours." + SIGNATURE))


def already_registered(settings: Settings, to: str) -> EmailMessage:
    return compose(settings, to=to, subject="Someone tried to create an OET Desktop account with your address", body=(
        "An account with this email address already exists, so no new account was made.\n\n"
        "If that was you, sign in instead; if you have forgotten the password, choose "
        "\"Forgot password\" in the app." + SIGNATURE))


def password_reset(settings: Settings, to: str, token: str, minutes: int) -> EmailMessage:
    return compose(settings, to=to, subject="Reset your OET Desktop password", body=(
        "Someone (hopefully you) asked to reset the password of this account.\n\n"
        "Paste this code in the app (Settings → Account → Forgot password) and choose a new password:\n\n"
        f"  {token}\n\nThe code works once and expires in {minutes} minutes. "
        "Resetting the password signs out every device." + SIGNATURE))


def email_change(settings: Settings, to: str, token: str, minutes: int) -> EmailMessage:
    return compose(settings, to=to, subject="Confirm your new email address for OET Desktop", body=(
        "To make this the address of your OET Desktop account, paste this code in the app "
        f"(Settings → Account → Change email):\n\n  {token}\n\nThe code works once and expires in "
        f"{minutes} minutes." + SIGNATURE))


def notice(settings: Settings, to: str, subject: str, sentence: str) -> EmailMessage:
    """A short security notice (password changed, address changed, two-factor turned off, account deleted)."""
    return compose(settings, to=to, subject=subject, body=sentence + SIGNATURE)
