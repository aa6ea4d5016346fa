"""Erasing a player: their names leave the database, every export, every watch answer and
every pull, while their events keep counting for their shirt number."""

from __future__ import annotations

import io
import uuid
import zipfile
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from backend.db.models import Player
from tests import factories
from tests.sync import Phone

FIRST = "Zuzanna"
SURNAME = "Quillfeather"
NAMES = (FIRST, SURNAME, "Z. Q.")


def _a_scorer_worth_erasing(client: TestClient) -> dict[str, Any]:
    """A team whose #7 scored, was assisted, was subbed off and started; links made for
    families with full names and with initials; a phone that has pulled all of it."""
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    scorer = client.post(
        f"/api/teams/{team_id}/players",
        json={"squad_number": 7, "display_name": FIRST, "full_name": f"{FIRST} {SURNAME}"},
        headers=headers,
    ).json()["id"]
    mate = factories.player(client, headers, team_id, number=4, name="Kit")
    match_id = factories.match(client, headers, team_id)
    lineup = {
        "players": [{"player_id": scorer, "role": "starting"}, {"player_id": mate, "role": "bench"}]
    }
    assert (
        client.put(f"/api/matches/{match_id}/lineup", json=lineup, headers=headers).status_code
        == 200
    )
    factories.kick_off(client, headers, match_id)
    factories.event(
        client, headers, match_id, "goal", minute=12, player_id=scorer, assist_player_id=mate
    )
    factories.event(
        client, headers, match_id, "goal", minute=20, player_id=mate, assist_player_id=scorer
    )
    factories.event(
        client, headers, match_id, "substitution", minute=30, player_id=mate,
        replaced_player_id=scorer,
    )  # fmt: skip
    links = [
        client.post(
            f"/api/matches/{match_id}/share-links", json={"names": names}, headers=headers
        ).json()["token"]
        for names in ("full_names", "initials")
    ]
    phone = Phone(client, headers)
    pulled = str(phone.pull_all())
    assert FIRST in pulled and SURNAME in pulled  # the phone had the names
    return {
        "headers": headers, "team_id": team_id, "match_id": match_id, "scorer": scorer,
        "links": links, "phone": phone,
    }  # fmt: skip


def _everything_families_and_coaches_read(
    client: TestClient, made: dict[str, Any]
) -> dict[str, str]:
    headers, team_id, match_id = made["headers"], made["team_id"], made["match_id"]
    reads = {
        "events.csv": client.get(f"/api/matches/{match_id}/events.csv", headers=headers),
        "export.json": client.get(f"/api/teams/{team_id}/export.json", headers=headers),
        "export.zip": client.get(f"/api/teams/{team_id}/export.zip", headers=headers),
        "stats.csv": client.get(f"/api/teams/{team_id}/stats.csv", headers=headers),
        "minutes.csv": client.get(f"/api/matches/{match_id}/minutes.csv", headers=headers),
        "stats": client.get(f"/api/teams/{team_id}/stats", headers=headers),
        "players": client.get(
            f"/api/teams/{team_id}/players", params={"include_deleted": "true"}, headers=headers
        ),
        "player": client.get(f"/api/players/{made['scorer']}", headers=headers),
    }
    for number, token in enumerate(made["links"]):
        reads[f"watch {number}"] = client.get(
            "/api/watch", headers={"Authorization": f"Bearer {token}"}
        )
        reads[f"result page {number}"] = client.get("/watch", params={"t": token})
    for name, response in reads.items():
        assert response.status_code == 200, (name, response.text)
    texts = {name: response.text for name, response in reads.items()}
    archive = zipfile.ZipFile(io.BytesIO(reads["export.zip"].content))
    texts["export.zip"] = "".join(archive.read(name).decode() for name in archive.namelist())
    return texts


def test_an_erased_player_is_named_nowhere_and_their_goals_still_count(
    client: TestClient, db_session: Session
) -> None:
    made = _a_scorer_worth_erasing(client)
    before = _everything_families_and_coaches_read(client, made)
    assert all(FIRST in before[name] for name in ("events.csv", "export.json", "watch 0"))

    erased = client.delete(
        f"/api/players/{made['scorer']}", params={"erase": "true"}, headers=made["headers"]
    )

    assert erased.status_code == 204, erased.text
    after = _everything_families_and_coaches_read(client, made)
    for name, text in after.items():
        for erased_name in NAMES:
            assert erased_name not in text, (name, erased_name)
    assert "7,Former player" in after["events.csv"]
    watched = client.get(
        "/api/watch", headers={"Authorization": f"Bearer {made['links'][1]}"}
    ).json()
    assert {"id": made["scorer"], "squad_number": 7, "name": "Former player"} in watched["players"]
    assert (
        client.get(f"/api/matches/{made['match_id']}", headers=made["headers"]).json()["match"][
            "score"
        ]["team"]
        == 2
    )
    row = db_session.scalars(select(Player).where(Player.id == uuid.UUID(made["scorer"]))).one()
    db_session.refresh(row)
    assert (row.display_name, row.full_name, row.squad_number) == ("Former player", None, 7)
    assert row.erased_at is not None and row.deleted_at is not None


def test_phones_forget_an_erased_player_on_their_next_pull(client: TestClient) -> None:
    made = _a_scorer_worth_erasing(client)
    phone: Phone = made["phone"]

    client.delete(
        f"/api/players/{made['scorer']}", params={"erase": "true"}, headers=made["headers"]
    )
    changes = phone.pull_all()
    newcomer = Phone(client, made["headers"]).pull_all()

    tombstone = {"type": "player", "id": made["scorer"], "space": made["team_id"]}
    assert [c for c in changes if c["type"] == "player"] == [
        tombstone | {"seq": changes[0]["seq"], "deleted": True, "data": None}
    ]
    for erased_name in NAMES:
        assert erased_name not in str(changes) and erased_name not in str(newcomer)
    kept = [
        c for c in newcomer if c["type"] == "event" and c["data"]["player_id"] == made["scorer"]
    ]
    assert len(kept) == 1  # the goal still names the player's id


def test_a_phone_erases_a_player_through_sync(client: TestClient) -> None:
    made = _a_scorer_worth_erasing(client)
    phone: Phone = made["phone"]

    answer = phone.sync(phone.mutation("delete_player", player_id=made["scorer"], erase=True))

    assert [r["verdict"] for r in answer["results"]] == ["applied"]
    assert next(c for c in answer["changes"] if c["type"] == "player")["deleted"] is True
    players = client.get(
        f"/api/teams/{made['team_id']}/players",
        params={"include_deleted": "true"},
        headers=made["headers"],
    ).json()
    assert {p["display_name"] for p in players if p["id"] == made["scorer"]} == {"Former player"}
    assert not any(FIRST in str(p) for p in players)


def test_a_deleted_player_can_still_be_erased_and_erasing_twice_changes_nothing(
    client: TestClient,
) -> None:
    made = _a_scorer_worth_erasing(client)
    path, headers = f"/api/players/{made['scorer']}", made["headers"]
    assert client.delete(path, headers=headers).status_code == 204
    assert FIRST in client.get(f"/api/teams/{made['team_id']}/export.json", headers=headers).text

    assert client.delete(path, params={"erase": "true"}, headers=headers).status_code == 204
    once = client.get(path, headers=headers).json()
    assert client.delete(path, params={"erase": "true"}, headers=headers).status_code == 204

    assert client.get(path, headers=headers).json() == once
    assert once["display_name"] == "Former player" and once["full_name"] is None
    assert client.delete(path, headers=headers).status_code == 404


def test_erasure_is_refused_for_another_teams_player_and_a_bad_flag(client: TestClient) -> None:
    made = _a_scorer_worth_erasing(client)
    stranger = factories.coach(client)
    path = f"/api/players/{made['scorer']}"

    refused = client.delete(path, params={"erase": "true"}, headers=stranger)
    bad = client.delete(path, params={"erase": "maybe"}, headers=made["headers"])
    phone: Phone = made["phone"]
    typed = phone.sync(phone.mutation("delete_player", player_id=made["scorer"], erase="yes"))

    assert refused.status_code == 404
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "erase"
    assert FIRST in client.get(path, headers=made["headers"]).text
    assert typed["results"][0]["verdict"] == "rejected"
    assert typed["results"][0]["error"]["field"] == "args.erase"


def test_an_erased_players_event_can_still_be_put_right(client: TestClient) -> None:
    made = _a_scorer_worth_erasing(client)
    headers, scorer = made["headers"], made["scorer"]
    goals = [
        e
        for e in client.get(f"/api/matches/{made['match_id']}/events", headers=headers).json()[
            "items"
        ]
        if e["kind"] == "goal" and e["player"]["id"] == scorer
    ]
    client.delete(f"/api/players/{scorer}", params={"erase": "true"}, headers=headers)
    body = {"kind": "goal", "period": 1, "minute": 13, "player_id": scorer, "note": "header"}

    fixed = client.put(f"/api/events/{goals[0]['id']}", json=body, headers=headers)
    named_anew = client.post(
        f"/api/matches/{made['match_id']}/events",
        json=body | {"id": str(uuid.uuid4())},
        headers=headers,
    )

    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["minute"], fixed.json()["player"]["id"]) == (13, scorer)
    assert named_anew.status_code == 422
    assert named_anew.json()["error"]["code"] == "unknown_player"
