"""``oet-sync-server``: run the server (the default), apply migrations, and operator commands."""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import socket
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from sync_server import __version__
from sync_server.core.config import Settings
from sync_server.core.observability import configure_logging
from sync_server.core.security import PasswordPolicyError

log = logging.getLogger("sync_server")
COMMANDS = ("serve", "migrate", "admin")


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = args.data_dir
    return Settings(**overrides)  # type: ignore[arg-type]


def _database_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="SQLAlchemy URL (default: SQLite in the data folder; "
                                               "or OET_SYNC_DATABASE_URL)")
    parser.add_argument("--data-dir", type=Path, help="folder for the SQLite database, signing key and mail")


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(prog="oet-sync-server", description="The OET Desktop account server.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")

    serve = commands.add_parser("serve", help="run the server (the default command)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8787, help="port to listen on (default 8787)")
    serve.add_argument("--workers", type=int, default=1, help="worker processes (default 1)")
    serve.add_argument("--no-migrate", action="store_true", help="do not apply pending migrations at start")
    _database_options(serve)

    migrate = commands.add_parser("migrate", help="apply the database migrations")
    _database_options(migrate)

    admin = commands.add_parser("admin", help="operator commands")
    _database_options(admin)
    actions = admin.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create-user", help="create an account")
    create.add_argument("email")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--verified", action="store_true", help="mark the address as verified")
    grant = actions.add_parser("grant-plan", help="give an account a plan (free, premium or school)")
    grant.add_argument("email")
    grant.add_argument("plan")
    grant.add_argument("--until", help="last day of the plan (YYYY-MM-DD); default: no end")
    grant.add_argument("--note", help="why, for the record (e.g. the school's name)")
    for name, text in (("disable", "disable an account and sign out its devices"), ("enable", "enable it again")):
        actions.add_parser(name, help=text).add_argument("email")
    actions.add_parser("list", help="list the accounts")
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from sync_server.core.migrations import upgrade

    if not args.no_migrate:
        upgrade(settings.resolved_database_url)
    if args.workers > 1 and settings.resolved_database_url.startswith("sqlite"):
        log.warning("several workers on SQLite: fine for a few users; use PostgreSQL for more")
    os.environ["OET_SYNC_DATABASE_URL"] = settings.resolved_database_url
    os.environ["OET_SYNC_DATA_DIR"] = str(settings.data_dir)
    settings.signing_key()  # created once here, before the workers start
    if args.workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="oet-sync-metrics-")
    log.info("serving", extra={"host": args.host, "port": args.port, "workers": args.workers})
    app = "sync_server.main:create_app_from_environment"
    options: dict[str, Any] = {"factory": True, "host": args.host, "port": args.port, "workers": args.workers,
                               "proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies),
                               "log_config": None, "access_log": False, "server_header": False}
    if args.workers == 1:
        uvicorn.run(app, **options)
        return 0
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(app, **options)
    # uvicorn's supervisor makes the listening socket with protocol 0, and asyncio sets TCP_NODELAY only on
    # connections whose protocol says TCP: every request after the first on a kept-alive connection would wait
    # ~40 ms for a delayed ACK (Kludex/uvicorn#3149). The same socket, labelled TCP.
    bound = config.bind_socket()
    sock = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    Multiprocess(config, sockets=[sock]).run()
    return 0


def _admin(args: argparse.Namespace, settings: Settings) -> int:
    from sync_server.context import ServerContext
    from sync_server.core.migrations import current_revision, head_revision, upgrade
    from sync_server.services import admin

    ctx = ServerContext.from_settings(settings)
    if current_revision(ctx.database.engine) != head_revision():
        if not ctx.database.is_sqlite:
            print("oet-sync-server: the database is not at the newest migration; run `oet-sync-server migrate` "
                  "first.", file=sys.stderr)
            return 2
        upgrade(settings.resolved_database_url)  # the embedded database sets itself up
    try:
        with ctx.database.session() as session:
            if args.action == "create-user":
                password = sys.stdin.readline().rstrip("\n") if args.password_stdin else getpass.getpass("Password: ")
                user = admin.create_user(ctx, session, args.email, password, verified=args.verified)
                print(f"created {user.email} ({user.id})")
            elif args.action == "grant-plan":
                until = (datetime.strptime(args.until, "%Y-%m-%d").replace(hour=23, minute=59, tzinfo=UTC)
                         if args.until else None)
                user = admin.grant_plan(session, args.email, args.plan, until=until, note=args.note)
                print(f"{user.email}: plan {user.plan}" + (f" until {args.until}" if until else ""))
            elif args.action in ("disable", "enable"):
                user = admin.set_disabled(session, args.email, args.action == "disable")
                print(f"{user.email}: {'disabled' if user.disabled_at else 'enabled'}")
            else:
                for user in admin.list_users(session):
                    flags = [user.plan, "verified" if user.email_verified_at else "unverified"]
                    if user.totp_enabled_at:
                        flags.append("two-factor")
                    if user.disabled_at:
                        flags.append("disabled")
                    print(f"{user.email}\t{user.created_at:%Y-%m-%d}\t{' '.join(flags)}")
    except (admin.AdminError, PasswordPolicyError) as error:
        print(f"oet-sync-server: {error}", file=sys.stderr)
        return 2
    except ValueError as error:
        print(f"oet-sync-server: {error}", file=sys.stderr)
        return 2
    finally:
        ctx.dispose()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``oet-sync-server`` and ``python -m sync_server``."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or (arguments[0].startswith("-") and arguments[0] not in ("-h", "--help", "--version")):
        arguments.insert(0, "serve")
    args = build_parser().parse_args(arguments)
    try:
        settings = _settings(args)
    except ValueError as error:
        print(f"oet-sync-server: invalid setting: {error}", file=sys.stderr)
        return 2
    if args.command == "serve":
        configure_logging(settings.log_level, as_json=settings.log_json)
    else:  # operator commands print their own results; only problems are logged
        configure_logging("WARNING", as_json=False)
    try:
        settings.signing_key()
        if args.command == "migrate":
            from sync_server.core.migrations import head_revision, upgrade

            upgrade(settings.resolved_database_url)
            print(f"database at migration {head_revision()}")
            return 0
        if args.command == "admin":
            return _admin(args, settings)
        return _serve(args, settings)
    except ValueError as error:  # e.g. a secret key that is too short
        print(f"oet-sync-server: invalid setting: {error}", file=sys.stderr)
        return 2
    except OperationalError as error:
        reason = " ".join(str(error.orig or error).split())  # libpq's messages run over several lines
        print(f"oet-sync-server: cannot use the database {_shown_url(settings)}: {reason}", file=sys.stderr)
        return 2


def _shown_url(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    return make_url(settings.resolved_database_url).render_as_string(hide_password=True)
