"""`account …` and `sync`: the optional account that syncs progress between the candidate's computers."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys

from oet_desktop.cli.common import unlocked_profile
from oet_desktop.core.errors import UserFacingError
from oet_desktop.services.account import AccountService, AccountStatus
from oet_desktop.services.context import AppContext

PASSWORD_ENV = "OET_DESKTOP_ACCOUNT_PASSWORD"
"""Scripts give the account's password here."""
SYNC_PASSPHRASE_ENV = "OET_DESKTOP_SYNC_PASSPHRASE"
"""Scripts give the sync passphrase (for practice details) here."""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `account …` and `sync`."""
    parser = sub.add_parser("account", help="the optional account that syncs your progress between computers")
    parser.set_defaults(handler=account_command)
    commands = parser.add_subparsers(dest="account_command", required=True)
    server = commands.add_parser("server", help="show or set the account server's address")
    server.add_argument("url", nargs="?", help="e.g. https://sync.example.org")
    create = commands.add_parser("register", help=f"create an account (password: prompt or {PASSWORD_ENV})")
    create.add_argument("--email", required=True)
    create.add_argument("--server", metavar="URL", help="the account server to use from now on")
    verify = commands.add_parser("verify", help="verify your email address with the mailed code")
    verify.add_argument("code", nargs="?", help="the code from the mail")
    verify.add_argument("--resend", action="store_true", help="mail a new code (signed in)")
    login = commands.add_parser("login", help=f"sign this computer in (password: prompt or {PASSWORD_ENV})")
    login.add_argument("--email", required=True)
    login.add_argument("--code", help="the authenticator (or recovery) code, for two-factor sign-in")
    login.add_argument("--server", metavar="URL", help="the account server to use from now on")
    commands.add_parser("logout", help="sign this computer out (its practice data stays)")
    status = commands.add_parser("status", help="the account, what is synced, and when this computer last synced")
    status.add_argument("--offline", action="store_true", help="do not ask the server")
    status.add_argument("--json", action="store_true")
    devices = commands.add_parser("devices", help="the computers signed in to the account")
    devices.add_argument("--revoke", metavar="ID", help="sign that device out")
    details = commands.add_parser("details", help=f"sync transcripts and full reports, sealed with a passphrase "
                                                  f"(prompt or {SYNC_PASSPHRASE_ENV})")
    details.add_argument("switch", choices=["on", "off"])

    sync = sub.add_parser("sync", help="sync your progress with your account now")
    sync.set_defaults(handler=sync_command)
    sync.add_argument("--status", action="store_true", help="what is waiting, and when this computer last synced")


def _secret(env: str, what: str, confirm: bool = False) -> str:
    """A password or passphrase: from ``env``, else typed (twice with ``confirm``) at a terminal."""
    value = os.environ.get(env)
    if value:
        return value
    if not sys.stdin.isatty():
        raise UserFacingError(f"The {what} is needed and there is no terminal to type it in.",
                              f"Set {env} for scripted use.")
    value = getpass.getpass(f"{what.capitalize()}: ")
    if confirm and getpass.getpass(f"The {what} again: ") != value:
        raise UserFacingError(f"The two {what}s differ.", "Nothing was changed; try again.")
    return value


def account_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop account …`."""
    import keyring

    command = args.account_command
    with unlocked_profile(context) as storage:
        service = AccountService(storage, keyring)
        if getattr(args, "server", None):
            service.set_server(args.server)
        if command == "server":
            if args.url:
                print(f"The account server is now {service.set_server(args.url)}; the next sync sends and "
                      "receives everything with it.")
            else:
                print(service.server())
            return 0
        if command == "register":
            print(service.register(args.email, _secret(PASSWORD_ENV, "account password", confirm=True)))
            print("Then run `oet-desktop account verify CODE` with the code from the mail, and "
                  "`oet-desktop account login`.")
            return 0
        if command == "verify":
            if args.resend:
                print(service.resend_verification())
                return 0
            if not args.code:
                raise UserFacingError("Which code?", "Give the code from the verification mail.")
            account = service.verify(args.code)
            print(f"{account.email} is verified: sync can start once this computer is signed in.")
            return 0
        if command == "login":
            account = service.login(args.email, _secret(PASSWORD_ENV, "account password"), args.code)
            print(f"Signed in to {service.server()} as {account.email}.")
            if not account.email_verified:
                print("Verify your email address first (`oet-desktop account verify CODE`): sync starts then.")
            return 0
        if command == "logout":
            service.logout()
            print("This computer is signed out; its practice data stays here.")
            return 0
        if command == "status":
            return _print_status(service.status(online=not args.offline), args.json)
        if command == "devices":
            if args.revoke:
                service.revoke_device(args.revoke)
                print(f"Device {args.revoke} is signed out.")
                return 0
            for device in service.devices():
                current = "  (this computer)" if device.current else ""
                print(f"{device.id}  {device.name}  last seen {device.last_seen_at[:16]}{current}")
            return 0
        if command == "details":
            if args.switch == "on":
                service.set_detail_sync(True, _secret(SYNC_PASSPHRASE_ENV, "sync passphrase", confirm=True))
                print("Practice details (transcripts, full reports) will sync sealed with your passphrase: use the "
                      "same one on your other computers. Sync now to send them.")
            else:
                service.set_detail_sync(False)
                print("Practice details stay on this computer from now on; summaries and scores still sync.")
            return 0
    raise UserFacingError(f"Unknown account command {command!r}.", "See `oet-desktop account --help`.")


def _print_status(status: AccountStatus, as_json: bool) -> int:
    account = status.account
    if as_json:
        print(json.dumps({
            "server": status.server, "signed_in": status.signed_in, "problem": status.problem,
            "account": account.__dict__ if account else None,
            "sync": {"client_id": status.sync.client_id, "last_synced_at": status.sync.last_synced_at,
                     "pending": status.sync.pending, "details": status.sync.details},
            "details_key_here": status.details_key_here, "synced": status.synced()}, indent=1))
        return 0
    print(f"Server:       {status.server}")
    if account is not None:
        verified = "verified" if account.email_verified else "not verified yet"
        print(f"Account:      {account.email} ({verified}; plan {account.plan}; two-factor "
              f"{'on' if account.two_factor_enabled else 'off'})")
    else:
        print(f"Account:      {'signed in' if status.signed_in else 'not signed in'}")
    if status.problem:
        print(f"              {status.problem}")
    print(f"Last synced:  {status.sync.last_synced_at or 'never'}; {status.sync.pending} change(s) waiting")
    for line in status.synced():
        print(line)
    return 0


def sync_command(context: AppContext, args: argparse.Namespace) -> int:
    """`oet-desktop sync [--status]`."""
    import keyring

    with unlocked_profile(context) as storage:
        service = AccountService(storage, keyring)
        if args.status:
            return _print_status(service.status(online=False), as_json=False)
        report = service.sync_now()
    print(report.summary())
    return 0
