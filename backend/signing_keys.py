"""The keys every token is signed with: ``TOUCHLINE_SECRET_KEYS``, or else the database's own.

Login tokens, share tokens and sync cursors are all signed; whoever holds the key can sign
one for any account or link. So no key ever comes from the source: without configured
keys, the first server to start on a database makes a random one and keeps it in the
database (``server_meta.signing_key``), where every later start and every other instance
on that database finds the same key. Production requires configured keys (settings.py).
"""

from __future__ import annotations

import argparse
import logging
import secrets

from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError, ProgrammingError

from backend.commands import DatabaseOption, Group, Operator, Row, add_command, add_group
from backend.db.engine import Database
from backend.db.models import ServerMeta
from backend.settings import Settings

log = logging.getLogger(__name__)

GENERATED_KEY_BYTES = 48


def signing_keys(settings: Settings, db: Database) -> list[str]:
    """The keys to sign with, newest last: the configured ones, else the database's own
    key, made now if the database has none yet."""
    if settings.secret_keys:
        return settings.secret_keys
    found = _database_key(db)
    if found is None:
        # Nothing could be signed for long anyway: the tables are not there yet.
        log.warning(
            "TOUCHLINE_SECRET_KEYS is not set and the database is not migrated: tokens are "
            "signed with a key kept in memory until this process stops; run "
            "`touchline db upgrade` and restart"
        )
        return [secrets.token_urlsafe(GENERATED_KEY_BYTES)]
    key, made = found
    if made:
        log.warning(
            "TOUCHLINE_SECRET_KEYS is not set: made a random signing key and kept it in the "
            "database (server_meta.signing_key); every instance on this database uses it"
        )
    else:
        log.info("TOUCHLINE_SECRET_KEYS is not set: signing with the database's own key")
    return [key]


def _database_key(db: Database) -> tuple[str, bool] | None:
    """(the database's key, whether this call made it), or None before migrations."""
    candidate = secrets.token_urlsafe(GENERATED_KEY_BYTES)
    try:
        with db.writer() as session:
            # Concurrent first starts: one update wins, the others match no row and read
            # the winner's key once its transaction commits.
            made = session.execute(
                update(ServerMeta)
                .where(ServerMeta.id == 1, ServerMeta.signing_key.is_(None))
                .values(signing_key=candidate)
                .returning(ServerMeta.id)
            ).first()
            key = session.scalar(select(ServerMeta.signing_key).where(ServerMeta.id == 1))
            session.commit()
    except (OperationalError, ProgrammingError):
        return None
    return (key, made is not None) if key else None


def keys_rotate(operator: Operator, _args: argparse.Namespace) -> Row:
    """``touchline keys rotate``: the configured key list with a new key appended. Deploy
    it, and drop the oldest key once the links and login tokens it signed may lapse."""
    keys = [*operator.settings.secret_keys, secrets.token_urlsafe(GENERATED_KEY_BYTES)]
    return {
        "TOUCHLINE_SECRET_KEYS": ",".join(keys),
        "keys": len(keys),
        "next": "set TOUCHLINE_SECRET_KEYS to this value on every instance and restart them",
    }


def add_commands(commands: Group, database_option: DatabaseOption) -> None:
    keys = add_group(commands, "keys", "signing keys")
    add_command(
        keys, "rotate", "print the key list with a new signing key appended", keys_rotate,
        database_option,
    )  # fmt: skip
