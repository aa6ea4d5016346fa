"""Retention through the real ``touchline data retention`` command, on each database: a
team unused for the period loses its players' names and its matches; a team in use keeps
everything; a dry run only lists."""

from __future__ import annotations

import json
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from backend.app import create_app
from backend.db.engine import Database
from backend.db.models import Event, Match, Membership, Player, ShareLink, Team, utcnow
from backend.privacy import retention
from backend.settings import Settings
from tests import factories
from tests.databases import migrated_database
from tests.e2e.server import touchline
from tests.sync import Phone

pytestmark = pytest.mark.e2e

LONG_AGO = utcnow() - timedelta(days=3 * 365)


@contextmanager
def _api(database_url: str) -> Iterator[TestClient]:
    settings = Settings(
        environment="test",
        database_url=database_url,
        anonymous_burst=1000,
        password_hasher="fast",
    )
    with TestClient(create_app(settings)) as client:
        yield client


def _team_with_a_season(client: TestClient, name: str, player: str) -> dict[str, Any]:
    headers = factories.coach(client)
    team_id = factories.team(client, headers, name=name)
    player_id = client.post(
        f"/api/teams/{team_id}/players",
        json={"squad_number": 7, "display_name": player, "full_name": f"{player} Longname"},
        headers=headers,
    ).json()["id"]
    match_id = factories.live_match(client, headers, team_id, kickoff_at="2023-09-02T10:00:00Z")
    factories.event(client, headers, match_id, "goal", player_id=player_id, note=f"{player}!")
    client.post(f"/api/matches/{match_id}/share-links", json={}, headers=headers)
    phone = Phone(client, headers)
    phone.pull_all()
    return {"headers": headers, "team_id": team_id, "match_id": match_id, "phone": phone}


def _age(session: Session, team_id: str) -> None:
    """Make every trace of use of the team three years old; the caller commits."""
    team = uuid.UUID(team_id)
    matches = select(Match.id).where(Match.team_id == team).scalar_subquery()
    for model, where, values in (
        (Team, Team.id == team, {"created_at": LONG_AGO}),
        (Membership, Membership.team_id == team, {"created_at": LONG_AGO}),
        (Player, Player.team_id == team, {"updated_at": LONG_AGO}),
        (Match, Match.team_id == team, {"updated_at": LONG_AGO, "kickoff_at": LONG_AGO}),
        (Event, Event.match_id.in_(matches), {"updated_at": LONG_AGO}),
    ):
        session.execute(update(model).where(where).values(**values))


def _held(database: Database, team_id: str) -> dict[str, Any]:
    team = uuid.UUID(team_id)
    matches = select(Match.id).where(Match.team_id == team).scalar_subquery()
    with database.reader() as session:
        players = session.execute(
            select(Player.display_name, Player.full_name, Player.squad_number).where(
                Player.team_id == team
            )
        ).all()
        return {
            "players": [tuple(p) for p in players],
            "live matches": session.scalar(
                select(func.count()).where(Match.team_id == team, Match.deleted_at.is_(None))
            ),
            "events": session.scalar(select(func.count()).where(Event.match_id.in_(matches))),
            "links": session.scalar(select(func.count()).where(ShareLink.match_id.in_(matches))),
        }


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_retention_erases_only_teams_unused_for_the_period(kind: str, tmp_path: Path) -> None:
    with migrated_database(kind, tmp_path) as url:
        with _api(url) as client:
            old = _team_with_a_season(client, "Otters U8", "Wilhelmina")
            fresh = _team_with_a_season(client, "Lions U9", "Bartholomew")
        database = Database.connect(url)
        try:
            with database.writer() as session:
                _age(session, old["team_id"])
                session.commit()
            db = ("--database-url", url)
            unset = touchline("data", "retention", *db)
            planned = _json(
                touchline("data", "retention", "--months", "12", "--dry-run", "--json", *db)
            )
            untouched = _held(database, old["team_id"])
            done = _json(
                touchline(
                    "data", "retention", "--json", *db, env={"TOUCHLINE_RETENTION_MONTHS": "12"}
                )
            )
            again = _json(touchline("data", "retention", "--months", "12", "--json", *db))
            erased, kept = _held(database, old["team_id"]), _held(database, fresh["team_id"])
        finally:
            database.dispose()

        assert unset.returncode != 0 and "TOUCHLINE_RETENTION_MONTHS" in unset.stderr
        expected = {"team_id": old["team_id"], "team": "Otters U8", "players": 1, "matches": 1}
        assert [{k: row[k] for k in expected} for row in planned] == [expected]
        assert planned[0]["action"] == "would erase" and planned[0]["events"] == 2
        assert untouched["players"] == [("Wilhelmina", "Wilhelmina Longname", 7)]
        assert [{k: row[k] for k in expected} for row in done] == [expected]
        assert done[0]["action"] == "erased"
        assert again == []
        assert erased == {
            "players": [("Former player", None, 7)], "live matches": 0, "events": 0, "links": 0,
        }  # fmt: skip
        assert kept == {
            "players": [("Bartholomew", "Bartholomew Longname", 7)],
            "live matches": 1, "events": 2, "links": 1,
        }  # fmt: skip
        with _api(url) as client:
            changes = _pull(client, old)
        assert {(c["type"], c["deleted"]) for c in changes} == {("player", True), ("match", True)}
        assert "Wilhelmina" not in str(changes)


def _pull(client: TestClient, made: dict[str, Any]) -> list[dict[str, Any]]:
    """What the old team's phone pulls next, on a client of the database as it is now."""
    phone: Phone = made["phone"]
    phone.client = client
    return phone.pull_all()


def test_a_team_used_again_after_it_was_found_due_is_left_alone(
    client: TestClient, db_session: Session
) -> None:
    made = _team_with_a_season(client, "Otters U8", "Wilhelmina")
    team = uuid.UUID(made["team_id"])
    _age(db_session, made["team_id"])
    db_session.flush()
    cutoff = retention.months_before(utcnow(), 12)
    [due] = retention.due_teams(db_session, cutoff)
    db_session.commit()
    # A coach renames the player meanwhile: the team is in use again.
    [player] = client.get(f"/api/teams/{made['team_id']}/players", headers=made["headers"]).json()
    renamed = {"display_name": "Willa"}
    assert (
        client.put(
            f"/api/players/{player['id']}", json=renamed, headers=made["headers"]
        ).status_code
        == 200
    )

    assert retention.apply(db_session, due, cutoff) is False
    assert retention.due_teams(db_session, cutoff) == []
    names = db_session.scalars(select(Player.display_name).where(Player.team_id == team)).all()
    assert names == ["Willa"]
