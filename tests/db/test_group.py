"""Group commit (backend/db/group.py) on a real database of each kind: several writers'
units share one transaction, each in its own savepoint."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from backend.db.engine import Database
from backend.db.group import GroupCommit
from backend.db.models import Account
from tests.databases import migrated_database

KINDS = ["sqlite", "postgresql"]


class Refused(Exception):
    pass


def _account(session: Session, name: str) -> str:
    session.execute(
        insert(Account).values(email=f"{name}@example.com", password_hash="x", display_name=name)
    )
    session.flush()
    return name


def _refusing(session: Session) -> str:
    _account(session, "refused")
    raise Refused("this unit refuses after writing")


@pytest.mark.parametrize("kind", KINDS)
def test_one_units_error_rolls_back_that_unit_alone_and_the_group_commits_once(
    kind: str, tmp_path: Path
) -> None:
    with migrated_database(kind, tmp_path) as url:
        db = Database.connect(url)
        try:
            transactions: list[Session] = []

            def counted() -> Session:
                session = db.writer()
                transactions.append(session)
                return session

            group = GroupCommit(at_least=3)
            units = [
                lambda s: _account(s, "first"),
                _refusing,
                lambda s: _account(s, "third"),
            ]
            with ThreadPoolExecutor(3) as pool:
                futures = [
                    # As a push: the first group that holds one waits for all three.
                    pool.submit(group.run, counted, db.write_turn, unit, crash_points=True)
                    for unit in units
                ]
                assert futures[0].result(timeout=30) == "first"
                with pytest.raises(Refused):
                    futures[1].result(timeout=30)
                assert futures[2].result(timeout=30) == "third"
            assert len(transactions) == 1  # the three units, one commit
            with db.reader() as session:
                names = set(session.scalars(select(Account.display_name)))
            assert names == {"first", "third"}
        finally:
            db.dispose()


@pytest.mark.parametrize("kind", KINDS)
def test_a_unit_is_answered_only_after_its_group_has_committed(kind: str, tmp_path: Path) -> None:
    """What a unit wrote is seen by a new transaction as soon as its caller returns."""
    with migrated_database(kind, tmp_path) as url:
        db = Database.connect(url)
        try:

            def write_then_read(name: str) -> tuple[str, set[str]]:
                db.grouped(lambda s: _account(s, name))
                with db.reader() as session:
                    return name, set(session.scalars(select(Account.display_name)))

            with ThreadPoolExecutor(4) as pool:
                answers = list(pool.map(write_then_read, ["a", "b", "c", "d"]))
            assert [name for name, _ in answers] == ["a", "b", "c", "d"]
            for name, names in answers:
                assert name in names
        finally:
            db.dispose()


def test_a_unit_after_a_rolled_back_one_reads_rows_as_they_are_now(tmp_path: Path) -> None:
    """Rolling back a unit's savepoint releases the row locks the unit took (PostgreSQL),
    so another transaction may change those rows before a later unit of the group locks
    them again; that unit must see the change, not the row as the rolled-back unit read
    it. (A match's stale ``head_seq`` numbered an event twice: a 409 to a phone's push.)"""
    with migrated_database("postgresql", tmp_path) as url:
        db = Database.connect(url)
        try:
            with db.writer() as session:
                account_id = session.scalar(
                    insert(Account)
                    .values(email="a@example.com", password_hash="x", display_name="before")
                    .returning(Account.id)
                )
                session.commit()
            locked = select(Account).where(Account.id == account_id).with_for_update()
            read_first: list[str] = []

            def unit(session: Session) -> str:
                if not read_first:  # the group's first unit reads under the lock, then fails
                    # (its error's traceback keeps what it read alive, as a push's keeps
                    # its writer and the matches it locked)
                    account = session.scalars(locked).one()
                    read_first.append(account.display_name)
                    raise Refused("this unit refuses after reading")
                with db.writer() as elsewhere:  # another instance's transaction
                    elsewhere.execute(text("SET LOCAL lock_timeout = '10s'"))
                    elsewhere.execute(
                        update(Account).where(Account.id == account_id).values(display_name="after")
                    )
                    elsewhere.commit()
                return session.scalars(locked).one().display_name

            group = GroupCommit(at_least=2)
            with ThreadPoolExecutor(2) as pool:
                futures = [
                    pool.submit(group.run, db.writer, db.write_turn, unit, crash_points=True)
                    for _ in range(2)
                ]
                answers = [future.exception(timeout=30) or future.result() for future in futures]
            assert read_first == ["before"]
            assert sorted(map(str, answers)) == ["after", "this unit refuses after reading"]
        finally:
            db.dispose()
