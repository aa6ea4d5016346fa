"""A coach's exports: a match's events as CSV and a whole team as JSON, both streamed."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import anyio
from fastapi.testclient import TestClient

from backend.matches import export
from backend.matches.schemas import TeamExport
from tests import factories

KICKOFF = "2026-11-21T10:00:00Z"


def _a_match_worth_exporting(client: TestClient) -> dict[str, Any]:
    """A team with three players (one whose name a spreadsheet would run), a live match with
    a goal and its assist, a substitution and a deleted save; the ids by name."""
    headers = factories.coach(client)
    team_id = factories.team(client, headers, name="Reds U10")
    scorer = factories.player(client, headers, team_id, number=9, name="Sam")
    maker = factories.player(client, headers, team_id, number=7, name="Kit")
    hacker = client.post(
        f"/api/teams/{team_id}/players",
        json={"squad_number": 4, "display_name": "=cmd|' /C calc'!A0"},
        headers=headers,
    ).json()["id"]
    match_id = factories.live_match(
        client, headers, team_id, opponent="Blues Ünited", kickoff_at=KICKOFF
    )
    goal = factories.event(
        client, headers, match_id, "goal", minute=12, player_id=scorer,
        assist_player_id=maker, note="+top corner",
    )  # fmt: skip
    factories.event(
        client, headers, match_id, "substitution", minute=30, player_id=hacker,
        replaced_player_id=scorer,
    )  # fmt: skip
    factories.event(client, headers, match_id, "corner", minute=31, side="opposition")
    saved = factories.event(client, headers, match_id, "save", minute=20)
    assert client.delete(f"/api/events/{saved['id']}", headers=headers).status_code == 204
    return {
        "headers": headers,
        "team_id": team_id,
        "match_id": match_id,
        "goal": goal["id"],
        "maker": maker,
    }


def test_a_matchs_events_download_as_csv_without_deleted_ones(client: TestClient) -> None:
    made = _a_match_worth_exporting(client)

    response = client.get(f"/api/matches/{made['match_id']}/events.csv", headers=made["headers"])

    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="blues-united-2026-11-21-events.csv"'
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == list(export.EVENT_COLUMNS)
    assert [(r["period"], r["minute"], r["kind"], r["side"]) for r in rows] == [
        ("1", "0", "kick_off", "team"),
        ("1", "12", "goal", "team"),
        ("1", "30", "substitution", "team"),
        ("1", "31", "corner", "opposition"),
    ]
    goal, sub = rows[1], rows[2]
    assert (goal["number"], goal["player"], goal["assist_number"], goal["assist"]) == (
        "9",
        "Sam Example",
        "7",
        "Kit Example",
    )
    assert (goal["note"], goal["event_id"]) == ("'+top corner", made["goal"])
    # A name a spreadsheet would run as a formula is written to be shown as typed.
    assert (sub["player"], sub["replaced_player"]) == ("'=cmd|' /C calc'!A0", "Sam Example")
    assert rows[3]["player"] == rows[3]["assist"] == ""


def test_a_whole_team_downloads_as_json(client: TestClient) -> None:
    made = _a_match_worth_exporting(client)
    headers, team_id = made["headers"], made["team_id"]
    empty = factories.match(
        client, headers, team_id, opponent="Greens", kickoff_at="2026-11-28T10:00:00Z"
    )
    gone = factories.match(client, headers, team_id, opponent="Gone FC")
    assert client.delete(f"/api/matches/{gone}", headers=headers).status_code == 204
    player_id = client.get(f"/api/teams/{team_id}/players", headers=headers).json()[0]["id"]
    lineup = {"players": [{"player_id": player_id, "role": "starting", "position": "GK"}]}
    client.put(f"/api/matches/{made['match_id']}/lineup", json=lineup, headers=headers)

    response = client.get(f"/api/teams/{team_id}/export.json", headers=headers)

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.headers["content-disposition"].startswith('attachment; filename="reds-u10-')
    document = json.loads(response.text)
    TeamExport.model_validate(document)  # what OpenAPI promises is what streams
    assert document["team"]["name"] == "Reds U10"
    assert sorted(p["squad_number"] for p in document["players"]) == [4, 7, 9]
    assert [m["id"] for m in document["matches"]] == [made["match_id"], empty]
    played, unplayed = document["matches"]
    assert [e["kind"] for e in played["events"]] == ["kick_off", "goal", "substitution", "corner"]
    goal = played["events"][1]
    # JSON runs nothing: the note is as typed.
    assert (goal["id"], goal["note"], goal["assist_player_id"]) == (
        made["goal"],
        "+top corner",
        made["maker"],
    )
    assert played["score"] == {"home": 1, "away": 0, "team": 1, "opposition": 0}
    assert played["lineup"] == [{"player_id": player_id, "role": "starting", "position": "GK"}]
    assert (unplayed["events"], unplayed["lineup"], unplayed["status"]) == ([], [], "scheduled")


def test_a_coach_who_joined_exports_too(client: TestClient) -> None:
    made = _a_match_worth_exporting(client)
    assistant = factories.coach(client, email="assistant@example.org")
    factories.join(client, made["headers"], made["team_id"], assistant)

    team = client.get(f"/api/teams/{made['team_id']}/export.json", headers=assistant)
    events = client.get(f"/api/matches/{made['match_id']}/events.csv", headers=assistant)

    assert (team.status_code, events.status_code) == (200, 200)
    assert len(json.loads(team.text)["matches"]) == 1


async def _body_messages(
    client: TestClient, path: str, headers: dict[str, str]
) -> list[dict[str, Any]]:
    """The ASGI messages the app sends for a GET of ``path``: as a server receives them,
    before any transport joins them up."""
    sent: list[dict[str, Any]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": dict(client.app_state),
    }

    requested, done = False, anyio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()  # as a server would: the client goes once the answer is whole
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await client.app(scope, receive, send)
    return sent


def test_a_long_season_streams_a_match_at_a_time(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    season = export.MATCHES_PER_READ + 5  # more than one page of matches
    made = [
        factories.match(client, headers, team_id, kickoff_at=f"2026-{9 + day // 28:02d}-"
                        f"{1 + day % 28:02d}T10:00:00Z", opponent=f"Team {day}")
        for day in range(season)
    ]  # fmt: skip
    path = f"/api/teams/{team_id}/export.json"

    assert client.portal is not None
    messages = client.portal.call(_body_messages, client, path, headers)

    start, *bodies = messages
    assert start["status"] == 200
    chunks = [m["body"] for m in bodies if m["body"]]
    assert len(chunks) > 1
    assert bodies[-1].get("more_body", False) is False
    document = json.loads(b"".join(chunks))
    assert [m["id"] for m in document["matches"]] == made
