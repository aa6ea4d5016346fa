"""The ``touchline`` command: run the server, migrate and back up the database, administer
accounts."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from backend import backups, signing_keys
from backend import commands as operator_commands
from backend import vapid_keys as push_keys
from backend.db.engine import Database, create_db_engine
from backend.db.migrate import current_revision, upgrade
from backend.errors import TouchlineError
from backend.live import publish
from backend.matches import commands as match_commands
from backend.ops.logs import logging_config
from backend.privacy import commands as data_commands
from backend.settings import Settings
from backend.sharing import commands as share_commands
from backend.sync import commands as device_commands

# Keepalive pings well inside the 60 s idle cut of common proxies; small client frames.
WS_PING_SECONDS = 20.0
WS_MAX_MESSAGE_BYTES = 64 * 1024
GRACEFUL_SHUTDOWN_SECONDS = 20


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"database_url": args.database_url} if args.database_url else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        # Name each problem without echoing its input: that could be a (too short) key.
        problems = "; ".join(
            ("TOUCHLINE_" + ".".join(map(str, e["loc"])).upper() + ": " if e["loc"] else "")
            + e["msg"]
            for e in exc.errors()
        )
        sys.exit(f"touchline: configuration error: {problems}")


def serve(args: argparse.Namespace) -> int:
    # Imported here, as in coach_create: the operator commands start in half the time
    # without the web framework (and the password hasher's start-up hash).
    import uvicorn  # noqa: PLC0415

    from backend.live.uvicorn_websocket import TrimmedWebSocketProtocol  # noqa: PLC0415
    from backend.ops import process_tuning  # noqa: PLC0415
    from backend.ops.http_limits import LimitedHttpProtocol  # noqa: PLC0415

    process_tuning.tune_malloc()
    settings = _settings(args)
    _refuse_unsafe_serving(settings, args)
    workers = args.workers
    if args.migrate:
        _upgrade_in_child(settings)
    json_lines = (
        settings.log_json
        if settings.log_json is not None
        else (settings.environment == "production")
    )
    target: Any
    if workers > 1:
        # Each worker builds its own app from the environment, as another instance would:
        # the live fan-out between them rides PostgreSQL's LISTEN/NOTIFY.
        os.environ["TOUCHLINE_DATABASE_URL"] = settings.database_url
        target = "backend.cli:worker_app"
    else:
        # Imported here: with workers, the parent process that watches them never holds
        # the app (some 18 MB).
        from backend.app import create_app  # noqa: PLC0415

        target = create_app(settings)
        process_tuning.freeze_startup_heap()
    uvicorn.run(
        target,
        factory=workers > 1,
        workers=workers,
        host=args.host,
        port=args.port,
        proxy_headers=True,
        forwarded_allow_ips=args.forwarded_allow_ips,
        log_config=logging_config(json_lines, args.log_level),
        access_log=False,
        http=LimitedHttpProtocol,
        ws=TrimmedWebSocketProtocol,
        ws_max_size=WS_MAX_MESSAGE_BYTES,
        ws_ping_interval=WS_PING_SECONDS,
        ws_ping_timeout=WS_PING_SECONDS,
        # Compression would run once per viewer for a message the hub encodes once per
        # match; live messages are small, so it costs CPU on the hot path and saves little.
        ws_per_message_deflate=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    return 0


def _refuse_unsafe_serving(settings: Settings, args: argparse.Namespace) -> None:
    """Exit, saying why, for a way of serving that would be unsafe or wrong."""
    if settings.environment == "production" and "*" in args.forwarded_allow_ips.split(","):
        # Every address trusted means the first X-Forwarded-For entry, which the client
        # writes, becomes its address: /metrics and per-address limits would be its choice.
        sys.exit(
            "touchline: --forwarded-allow-ips '*' trusts any client to name its own address; "
            "list the proxy's address or network (e.g. 10.0.0.0/8) instead"
        )
    if args.workers < 1:
        sys.exit(f"touchline: --workers must be 1 or more, not {args.workers}")
    if args.workers > 1 and settings.is_sqlite:
        sys.exit(
            f"touchline: --workers {args.workers} needs PostgreSQL: on SQLite one process "
            "holds the write lock and carries live changes to viewers in its memory; serve "
            "with one worker"
        )


def worker_app() -> Any:
    """The app of one worker process of ``touchline serve --workers N`` (uvicorn's
    factory): its settings come from the environment the server was started with."""
    from backend.app import create_app  # noqa: PLC0415
    from backend.ops import process_tuning  # noqa: PLC0415

    process_tuning.tune_malloc()
    app = create_app()
    process_tuning.freeze_startup_heap()
    return app


def _upgrade_in_child(settings: Settings) -> None:
    """``touchline db upgrade`` in a child process: Alembic and what it loads (Mako,
    Pygments; some 12 MB) would otherwise stay in the server's memory for its whole life."""
    env = os.environ | {"TOUCHLINE_DATABASE_URL": settings.database_url}
    child = subprocess.run(
        [sys.executable, "-m", "backend.cli", "db", "upgrade"], env=env, check=False
    )
    if child.returncode != 0:
        sys.exit(f"touchline: migrations failed (exit status {child.returncode})")


def db_upgrade(args: argparse.Namespace) -> int:

    settings = _settings(args)
    engine = create_db_engine(settings.database_url)
    try:
        upgrade(engine)
        with engine.connect() as connection:
            print(f"database at revision {current_revision(connection)}")
    finally:
        engine.dispose()
    return 0


def coach_create(args: argparse.Namespace) -> int:
    from backend.accounts.credentials import hash_password  # noqa: PLC0415
    from backend.accounts.schemas import AccountCreate  # noqa: PLC0415
    from backend.accounts.service import create_account  # noqa: PLC0415

    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
    if password is None:
        password = os.environ.get("TOUCHLINE_COACH_PASSWORD") or getpass.getpass("Password: ")
    try:
        data = AccountCreate(email=args.email, password=password, display_name=args.name)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"touchline: {problems}", file=sys.stderr)
        return 2
    settings = _settings(args)
    # Before the write transaction begins.
    password_hash = hash_password(data.password, settings.password_hasher)
    db = Database.connect(settings.database_url)
    try:
        with db.writer() as session:
            account = create_account(session, data, password_hash)
            session.commit()
    except TouchlineError as exc:
        print(f"touchline: {exc.message}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    if args.json:
        print(json.dumps({"id": str(account.id), "email": account.email}))
    else:
        print(f"created coach {account.email} ({account.id})")
    return 0


def _new_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return os.environ.get("TOUCHLINE_COACH_PASSWORD") or getpass.getpass("New password: ")


def coach_reset_password(args: argparse.Namespace) -> int:
    """Set a coach's password and sign out every phone and login token of the account: for
    a server that sends no mail, or a coach whose mail is gone."""
    from backend.accounts.credentials import hash_password  # noqa: PLC0415
    from backend.accounts.schemas import PasswordChange, ResetRequest  # noqa: PLC0415
    from backend.accounts.service import account_by_email, set_password  # noqa: PLC0415

    try:
        email = ResetRequest(email=args.email).email
        password = PasswordChange(
            current_password="", new_password=_new_password(args)
        ).new_password
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        print(f"touchline: {problems}", file=sys.stderr)
        return 2
    settings = _settings(args)
    password_hash = hash_password(password, settings.password_hasher)
    db = _operator_database(settings)
    try:
        with db.writer() as session:
            account = account_by_email(session, email)
            if account is None:
                print(f"touchline: no account has the email {email}", file=sys.stderr)
                return 1
            set_password(session, account.id, account.password_hash, password_hash, None)
            session.commit()
            account_id = account.id
    finally:
        db.dispose()
    if args.json:
        print(json.dumps({"id": str(account_id), "email": email, "signed_out": True}))
    else:
        print(f"password set for {email}; every phone of the account must sign in again")
    return 0


def _coach_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    database_option: Callable[[argparse.ArgumentParser], None],
) -> None:
    coach_parser = commands.add_parser("coach", help="coach accounts")
    coach_commands = coach_parser.add_subparsers(dest="coach_command", required=True)
    create_parser = coach_commands.add_parser(
        "create",
        help="create a coach account",
        description="The password is read from --password-stdin, $TOUCHLINE_COACH_PASSWORD, "
        "or a prompt.",
    )
    create_parser.add_argument("--email", required=True)
    create_parser.add_argument("--name", required=True, help="display name")
    create_parser.add_argument("--password-stdin", action="store_true")
    create_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    database_option(create_parser)
    create_parser.set_defaults(handler=coach_create)
    reset_parser = coach_commands.add_parser(
        "reset-password",
        help="set a coach's password and sign out all their phones",
        description="The new password is read from --password-stdin, "
        "$TOUCHLINE_COACH_PASSWORD, or a prompt. Every phone and login token of the account "
        "is signed out.",
    )
    reset_parser.add_argument("email")
    reset_parser.add_argument("--password-stdin", action="store_true")
    reset_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    database_option(reset_parser)
    reset_parser.set_defaults(handler=coach_reset_password)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="touchline", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    def database_option(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--database-url",
            help="SQLAlchemy or postgresql:// URL (default: $DATABASE_URL, else ./touchline.db)",
        )

    serve_parser = commands.add_parser("serve", help="run the HTTP server and web app")
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve_parser.add_argument(
        "--migrate", action="store_true", help="apply migrations before serving"
    )
    serve_parser.add_argument("--log-level", default="info")
    serve_parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="server processes, on PostgreSQL only (SQLite serves with one); one per core",
    )
    serve_parser.add_argument(
        "--forwarded-allow-ips",
        default=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        help="addresses or networks of the proxies whose X-Forwarded-* headers are trusted "
        "(default: $FORWARDED_ALLOW_IPS, else 127.0.0.1); the client is the rightmost "
        "X-Forwarded-For entry outside them",
    )
    database_option(serve_parser)
    serve_parser.set_defaults(handler=serve)

    db_parser = commands.add_parser("db", help="database administration")
    db_commands = db_parser.add_subparsers(dest="db_command", required=True)
    upgrade_parser = db_commands.add_parser("upgrade", help="apply migrations up to head")
    database_option(upgrade_parser)
    upgrade_parser.set_defaults(handler=db_upgrade)
    backups.add_commands(db_commands, database_option)

    _coach_commands(commands, database_option)

    # Each domain's operator commands, answered by operator_commands.run.
    for domain in (device_commands, share_commands, match_commands, data_commands, signing_keys):
        domain.add_commands(commands, database_option)
    push_keys.add_commands(commands)
    return parser


def _operator_database(settings: Settings) -> Database:
    db = Database.connect(settings.database_url, pool_size=2)
    # So that a revocation reaches viewers on every running instance (PostgreSQL).
    publish.install(db.writer, db.engine.dialect.name, lambda _notices: None)
    return db


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if "operation" in vars(args):
        operator = operator_commands.Operator(_settings(args), _operator_database)
        return operator_commands.run(args, operator)
    result: int = args.handler(args)
    return result


def run() -> None:
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader (e.g. `| head`) went away; say nothing more, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)


if __name__ == "__main__":
    run()
