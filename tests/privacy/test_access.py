"""Access: a team's owner downloads everything the team holds, and an account holder
everything held about their own account, both streamed as attachments."""

from __future__ import annotations

import csv
import io
import zipfile

from fastapi.testclient import TestClient

from backend.matches.schemas import TeamExport
from backend.privacy.schemas import AccountExport
from tests import factories
from tests.sync import Phone


def test_a_team_export_holds_its_coaches_players_matches_and_links(client: TestClient) -> None:
    owner = factories.coach(client, name="Olive Owner")
    team_id = factories.team(client, owner)
    helper = factories.coach(client, email="helper@example.org", name="Hal Helper")
    factories.join(client, owner, team_id, helper)
    player = factories.player(client, owner, team_id, number=7, name="Ada")
    match_id = factories.live_match(client, owner, team_id)
    factories.event(client, owner, match_id, "goal", player_id=player)
    link = client.post(
        f"/api/matches/{match_id}/share-links", json={"names": "initials"}, headers=owner
    ).json()

    response = client.get(f"/api/teams/{team_id}/export.json", headers=owner)

    assert response.status_code == 200
    assert response.headers["content-disposition"].startswith("attachment;")
    exported = TeamExport.model_validate_json(response.text)
    assert [(m.display_name, m.role) for m in exported.members] == [
        ("Olive Owner", "owner"),
        ("Hal Helper", "coach"),
    ]
    assert "helper@example.org" not in response.text
    assert [(p.display_name, p.erased) for p in exported.players] == [("Ada", False)]
    [match] = exported.matches
    assert [str(e.player_id) for e in match.events if e.kind.value == "goal"] == [player]
    assert [(str(s.id), s.names) for s in exported.share_links] == [(link["id"], "initials")]
    assert link["token"] not in response.text


def test_a_team_export_comes_as_csv_files_in_one_archive_too(client: TestClient) -> None:
    owner = factories.coach(client, name="Olive Owner")
    team_id = factories.team(client, owner, name="Reds U10")
    player = factories.player(client, owner, team_id, number=7, name="=Ada")
    match_id = factories.live_match(client, owner, team_id, opponent="Blues")
    factories.event(client, owner, match_id, "goal", minute=12, player_id=player)
    lineup = {"players": [{"player_id": player, "role": "starting"}]}
    client.put(f"/api/matches/{match_id}/lineup", json=lineup, headers=owner)
    client.post(f"/api/matches/{match_id}/share-links", json={}, headers=owner)

    response = client.get(f"/api/teams/{team_id}/export.zip", headers=owner)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-disposition"].startswith('attachment; filename="reds-u10-')
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    files = {
        name: list(csv.DictReader(io.StringIO(archive.read(name).decode())))
        for name in archive.namelist()
    }
    assert sorted(files) == sorted(
        ["members.csv", "players.csv", "matches.csv", "events.csv", "lineups.csv",
         "share_links.csv"]
    )  # fmt: skip
    assert [(m["display_name"], m["role"]) for m in files["members.csv"]] == [
        ("Olive Owner", "owner")
    ]
    assert [(p["squad_number"], p["display_name"]) for p in files["players.csv"]] == [
        ("7", "'=Ada")  # a spreadsheet shows it as typed, never runs it
    ]
    [match] = files["matches.csv"]
    assert (match["opponent"], match["team_goals"], match["opposition_goals"]) == (
        "Blues",
        "1",
        "0",
    )
    goals = [e for e in files["events.csv"] if e["kind"] == "goal"]
    assert [(e["match_id"], e["minute"], e["number"]) for e in goals] == [(match_id, "12", "7")]
    assert [(r["player_id"], r["role"]) for r in files["lineups.csv"]] == [(player, "starting")]
    assert len(files["share_links.csv"]) == 1


def test_an_account_holder_downloads_their_own_data_without_secrets(client: TestClient) -> None:
    headers = factories.coach(client, email="me@example.org", name="Mo Me")
    team_id = factories.team(client, headers, name="Lions U9")
    match_id = factories.live_match(client, headers, team_id)
    link = client.post(f"/api/matches/{match_id}/share-links", json={}, headers=headers).json()
    invite = client.post(f"/api/teams/{team_id}/invites", json={}, headers=headers).json()
    phone = Phone(client, headers)
    phone.sync(phone.add_event(match_id, "save"))
    token = headers["Authorization"].removeprefix("Bearer ")

    response = client.get("/api/me/export.json", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"].startswith('attachment; filename="touchline-')
    assert response.headers["cache-control"] == "no-store"
    mine = AccountExport.model_validate_json(response.text)
    assert (mine.account.email, mine.account.display_name) == ("me@example.org", "Mo Me")
    assert [(t.name, t.role) for t in mine.teams] == [("Lions U9", "owner")]
    assert [d.name for d in mine.devices] == ["phone"]
    assert [str(s.id) for s in mine.share_links] == [link["id"]]
    assert [str(i.id) for i in mine.invites] == [invite["id"]]
    assert mine.events_logged == 2  # the kick-off and the save, both from this phone
    for secret in (token, link["token"], invite["token"], "argon2", "password", factories.PASSWORD):
        assert secret not in response.text
