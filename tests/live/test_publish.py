"""What a transaction announces to the live channels: what its writer said, sent on commit,
on each database's own path (NOTIFY on PostgreSQL, in process on SQLite)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
import pytest
from sqlalchemy.engine import make_url

from backend.db.engine import Database
from backend.db.models import Match, Team
from backend.live import publish
from tests.databases import migrated_database

DEADLINE_SECONDS = 10


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A database of the module's own: its tests commit for real."""
    with migrated_database(request.param, tmp_path_factory.mktemp("publish")) as url:
        yield url


@dataclass
class Ears:
    """Every notice delivered from the database's commits, in order."""

    heard: list[str] = field(default_factory=list)
    listener: psycopg.Connection[tuple[object, ...]] | None = None

    def deliver(self, notices: list[str]) -> None:
        self.heard.extend(notices)

    def until(self, notice: str) -> list[str]:
        """Everything heard up to and including ``notice``; waits for it with a deadline.
        Notices come in commit order, so whatever an earlier commit sent is in it."""
        deadline = time.monotonic() + DEADLINE_SECONDS
        while notice not in self.heard and self.listener is not None:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"{notice} never came; heard {self.heard}"
            for note in self.listener.notifies(timeout=remaining, stop_after=1):
                self.heard.append(note.payload)
        assert notice in self.heard, self.heard
        heard = self.heard[: self.heard.index(notice) + 1]
        del self.heard[: len(heard)]
        return heard


@contextmanager
def _announcing(database_url: str) -> Iterator[tuple[Database, Ears]]:
    db = Database.connect(database_url, pool_size=2)
    ears = Ears()
    dialect = db.engine.dialect.name
    publish.install(db.writer, dialect, ears.deliver)
    try:
        if dialect == "postgresql":
            url = make_url(database_url).set(drivername="postgresql")
            dsn = url.render_as_string(hide_password=False)
            with psycopg.connect(dsn, autocommit=True) as listener:
                listener.execute(f"LISTEN {publish.CHANNEL}")
                ears.listener = listener
                yield db, ears
        else:
            yield db, ears
    finally:
        db.dispose()


def _said(db: Database, notice_of: uuid.UUID) -> str:
    """Commit a transaction that announces only the revocation of ``notice_of``."""
    with db.writer() as session:
        publish.link_revoked(session, notice_of)
        session.commit()
    return publish.revoke_notice(notice_of)


def test_a_commit_sends_what_its_writer_announced_once_and_a_rollback_nothing(
    database_url: str,
) -> None:
    match_id, link_id, device_id, dropped = (uuid.uuid4() for _ in range(4))
    with _announcing(database_url) as (db, ears):
        with db.writer() as session:
            publish.match_changed(session, match_id)
            publish.match_changed(session, match_id)
            publish.device_revoked(session, device_id)
            session.commit()
        with db.writer() as session:
            publish.match_changed(session, dropped)
            session.rollback()
        end = _said(db, link_id)
        assert sorted(ears.until(end)) == sorted(
            [
                publish.match_notice(match_id),
                publish.device_revoke_notice(device_id),
                end,
            ]
        )


def test_a_match_row_written_without_an_announcement_is_not_guessed_at(
    database_url: str,
) -> None:
    """Only the writer says what changed: a dirty Match alone announces nothing."""
    with _announcing(database_url) as (db, ears):
        with db.writer() as session:
            team = Team(name="Reds")
            session.add(team)
            session.flush()
            match = Match(team_id=team.id, opponent="Blues", kickoff_at=datetime.now(UTC))
            session.add(match)
            session.commit()
            match.venue = "Riverside"
            session.commit()
        end = _said(db, uuid.uuid4())
        assert ears.until(end) == [end]
