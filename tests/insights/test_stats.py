"""Stats, fairness and minutes through the API, on both databases.

A small season is built the way a coach's phone builds it (lineups, markers, subs, a red
card, a deleted and an edited event), then the answers are held to a count made by hand
and to what the core's rules give for the logs the public event and lineup routes return.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from sync_protocol.insights import LoggedEvent, MatchLog, minutes_played, stats
from sync_protocol.match import MatchState, MatchStatus, MatchTime, minute_now
from tests import factories


@dataclass
class Season:
    headers: dict[str, str]
    team_id: str
    players: dict[str, str]
    """Player ids by name."""
    matches: list[str]
    """Oldest first: a win, a loss, a match in play."""


def _lineup(client: TestClient, season: Season, match_id: str, start: str, bench: str) -> None:
    slots = [{"player_id": season.players[name], "role": "starting"} for name in start] + [
        {"player_id": season.players[name], "role": "bench"} for name in bench
    ]
    response = client.put(
        f"/api/matches/{match_id}/lineup", json={"players": slots}, headers=season.headers
    )
    assert response.status_code == 200, response.text


def _log(
    client: TestClient, season: Season, match_id: str, kind: str, period: int, minute: int,
    **fields: Any,
) -> str:  # fmt: skip
    for name in ("player", "replaced"):
        if name in fields:
            fields[f"{name}_player_id" if name == "replaced" else "player_id"] = season.players[
                fields.pop(name)
            ]
    event = factories.event(
        client, season.headers, match_id, kind, period=period, minute=minute, **fields
    )
    return str(event["id"])


def _season(client: TestClient) -> Season:
    """Two finished matches of 2 x 25 and one in play; players A..E by squad number."""
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    players = {
        name: factories.player(client, headers, team_id, number, name)
        for number, name in enumerate("ABCDE", start=1)
    }
    season = Season(headers, team_id, players, [])
    fields = {"periods": 2, "period_minutes": 25}
    for day in ("2026-09-06T09:00:00Z", "2026-09-13T09:00:00Z", "2026-09-20T09:00:00Z"):
        season.matches.append(factories.match(client, headers, team_id, kickoff_at=day, **fields))
    first, second, live = season.matches

    # A win, 2-1: C off for E at 20', D sent off at 35', a goal deleted, a sub's minute edited.
    _lineup(client, season, first, "ABCD", "E")
    _log(client, season, first, "kick_off", 1, 0)
    _log(client, season, first, "goal", 1, 10, player="B")
    mistaken = _log(client, season, first, "goal", 1, 12, player="A")
    sub = _log(client, season, first, "substitution", 1, 18, player="E", replaced="C")
    _log(client, season, first, "half_time", 1, 25)
    _log(client, season, first, "kick_off", 2, 25)
    _log(client, season, first, "red_card", 2, 35, player="D")
    _log(client, season, first, "goal", 2, 40, side="opposition")
    _log(client, season, first, "goal", 2, 45, player="E")
    _log(client, season, first, "assist", 2, 45, player="B")
    _log(client, season, first, "full_time", 2, 50)
    assert client.delete(f"/api/events/{mistaken}", headers=headers).status_code == 204
    edited = client.put(
        f"/api/events/{sub}",
        json={
            "kind": "substitution",
            "period": 1,
            "minute": 20,
            "player_id": players["E"],
            "replaced_player_id": players["C"],
        },
        headers=headers,
    )
    assert edited.status_code == 200, edited.text

    # A loss, 0-1: E starts, C comes on for E at 40' (15 into the second half).
    _lineup(client, season, second, "ABE", "C")
    _log(client, season, second, "kick_off", 1, 0)
    _log(client, season, second, "goal", 1, 5, side="opposition")
    _log(client, season, second, "tackle", 1, 7, player="A")
    _log(client, season, second, "half_time", 1, 25)
    _log(client, season, second, "kick_off", 2, 25)
    _log(client, season, second, "substitution", 2, 40, player="C", replaced="E")
    _log(client, season, second, "full_time", 2, 50)

    # In play: kicked off ten and a half minutes ago by the phone's clock.
    _lineup(client, season, live, "ABCD", "E")
    started = datetime.now(UTC) - timedelta(minutes=10, seconds=30)
    _log(client, season, live, "kick_off", 1, 0, recorded_at=started.isoformat())
    _log(client, season, live, "foul", 1, 4, player="D")
    return season


def _core_logs(client: TestClient, season: Season) -> list[MatchLog]:
    """The season's matches as the core reads them, built from the public read routes."""
    logs = []
    for match_id in season.matches:
        match = client.get(f"/api/matches/{match_id}", headers=season.headers).json()["match"]
        lineup = client.get(f"/api/matches/{match_id}/lineup", headers=season.headers).json()
        events = client.get(f"/api/matches/{match_id}/events", headers=season.headers).json()
        logs.append(
            MatchLog(
                id=match_id,
                periods=match["periods"],
                period_minutes=match["period_minutes"],
                kickoff_at=datetime.fromisoformat(match["kickoff_at"]),
                lineup={slot["player"]["id"]: slot["role"] for slot in lineup["players"]},
                events=[
                    LoggedEvent(
                        id=e["id"],
                        kind=e["kind"],
                        period=e["period"],
                        minute=e["minute"],
                        stoppage=e["stoppage"],
                        side=e["side"],
                        player_id=e["player"] and e["player"]["id"],
                        replaced_player_id=e["replaced_player"] and e["replaced_player"]["id"],
                        recorded_at=e["recorded_at"] and datetime.fromisoformat(e["recorded_at"]),
                    )
                    for e in events["items"]
                ],
            )
        )
    return logs


def _by_name(lines: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {line["player"]["display_name"]: line for line in lines}


def test_a_season_counted_by_hand(client: TestClient) -> None:
    season = _season(client)

    answer = client.get(f"/api/teams/{season.team_id}/stats", headers=season.headers)

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["matches"] == 3
    assert body["range"] == {"from": None, "to": None}
    assert body["record"] == {
        "played": 2,
        "won": 1,
        "drawn": 0,
        "lost": 1,
        "goals_for": 2,
        "goals_against": 2,
        "clean_sheets": 0,
        "form": ["L", "W"],
    }
    lines = _by_name(body["players"])
    assert [line["player"]["display_name"] for line in body["players"]] == list("ABCDE")
    # The match in play counts as far as its latest event (4'), its starters included.
    minutes = {name: line["minutes"] for name, line in lines.items()}
    assert minutes == {"A": 104, "B": 104, "C": 34, "D": 39, "E": 70}
    assert {name: (line["appearances"], line["starts"]) for name, line in lines.items()} == {
        "A": (3, 3),
        "B": (3, 3),
        "C": (3, 2),
        "D": (2, 2),
        "E": (2, 1),
    }
    assert (lines["B"]["goals"], lines["B"]["assists"], lines["E"]["goals"]) == (1, 1, 1)
    assert lines["A"]["goals"] == 0  # deleted
    assert (lines["A"]["tackles"], lines["D"]["red_cards"], lines["D"]["fouls"]) == (1, 1, 1)


def test_the_numbers_are_the_cores_for_the_same_logs(client: TestClient) -> None:
    season = _season(client)
    expected = stats(_core_logs(client, season))

    body = client.get(f"/api/teams/{season.team_id}/stats", headers=season.headers).json()
    fairness = client.get(f"/api/teams/{season.team_id}/fairness", headers=season.headers).json()

    assert body["record"] == {
        "played": expected.team.played,
        "won": expected.team.won,
        "drawn": expected.team.drawn,
        "lost": expected.team.lost,
        "goals_for": expected.team.goals_for,
        "goals_against": expected.team.goals_against,
        "clean_sheets": expected.team.clean_sheets,
        "form": expected.team.form,
    }
    assert {line["player"]["id"] for line in body["players"]} == set(expected.players)
    for line in body["players"]:
        core = expected.players[line["player"]["id"]]
        assert line["minutes"] == core.minutes
        assert line["appearances"] == core.appearances
        assert line["starts"] == core.starts
        assert line["assists"] == core.assists
        assert {name: line[name] for name in core.counts} == core.counts
    for line in fairness["players"]:
        core = expected.players[line["player"]["id"]]
        assert line["available_minutes"] == core.available_minutes
        assert line["available_matches"] == core.available_matches
        assert line["minutes_share"] == core.minutes_share
        assert line["starts_share"] == core.starts_share


def test_fairness_puts_who_played_least_first(client: TestClient) -> None:
    season = _season(client)

    body = client.get(
        f"/api/teams/{season.team_id}/fairness",
        params={"from": "2026-09-01", "to": "2026-09-13"},
        headers=season.headers,
    ).json()

    # Two finished matches of 50': C played 20 + 10 of 100 and started one of two.
    lines = _by_name(body["players"])
    assert body["matches"] == 2
    assert body["players"][0]["player"]["display_name"] == "C"
    assert lines["C"]["minutes_share"] == 0.3
    assert lines["C"]["starts_share"] == 0.5
    # D was not in the second match's lineup: only the first was available to them.
    assert (lines["D"]["available_matches"], lines["D"]["available_minutes"]) == (1, 50)
    assert lines["D"]["minutes_share"] == 35 / 50


def test_a_range_takes_only_its_matches(client: TestClient) -> None:
    season = _season(client)

    body = client.get(
        f"/api/teams/{season.team_id}/stats",
        params={"from": "2026-09-13", "to": "2026-09-13"},
        headers=season.headers,
    ).json()

    assert body["range"] == {"from": "2026-09-13", "to": "2026-09-13"}
    assert body["matches"] == 1
    assert body["record"]["form"] == ["L"]
    assert "D" not in _by_name(body["players"])


def test_a_finished_match_counted_by_hand(client: TestClient) -> None:
    season = _season(client)

    body = client.get(f"/api/matches/{season.matches[0]}/stats", headers=season.headers).json()

    assert (body["status"], body["played"], body["periods"], body["counted_to"]) == (
        "finished",
        50,
        [25, 25],
        None,
    )
    lines = _by_name(body["players"])
    table = {
        name: (line["minutes"], line["bench"], line["by_period"], line["on_pitch"])
        for name, line in lines.items()
    }
    assert table == {
        "A": (50, 0, [25, 25], True),
        "B": (50, 0, [25, 25], True),
        "C": (20, 30, [20, 0], False),
        "D": (35, 0, [25, 10], False),  # sent off at 35': 15 minutes neither on nor benched
        "E": (30, 20, [5, 25], True),
    }
    assert (lines["E"]["started"], lines["E"]["appeared"], lines["E"]["goals"]) == (
        False,
        True,
        1,
    )


def test_a_match_in_play_counts_to_now_by_the_servers_clock(client: TestClient) -> None:
    season = _season(client)
    live = season.matches[2]
    match = client.get(f"/api/matches/{live}", headers=season.headers).json()["match"]
    started = datetime.fromisoformat(match["clock"]["period_started_at"])
    state = MatchState(MatchStatus.LIVE, 1)

    before = minute_now(state, started, datetime.now(UTC), 25)
    body = client.get(f"/api/matches/{live}/stats", headers=season.headers).json()
    after = minute_now(state, started, datetime.now(UTC), 25)

    at = MatchTime(**body["counted_to"])
    assert before <= at <= after
    assert at.minute >= 11  # kicked off ten and a half minutes ago
    expected = minutes_played(_core_logs(client, season)[2], at)
    assert body["status"] == "live"
    assert body["played"] == expected.played == at.minute
    for line in body["players"]:
        core = expected.players[line["player"]["id"]]
        assert (line["minutes"], line["bench"], line["on_pitch"]) == (
            core.minutes,
            core.bench,
            core.on_pitch,
        )
    lines = _by_name(body["players"])
    assert lines["A"]["minutes"] == at.minute
    assert (lines["E"]["minutes"], lines["E"]["bench"]) == (0, at.minute)
    assert lines["D"]["fouls"] == 1


def test_a_players_season(client: TestClient) -> None:
    season = _season(client)

    body = client.get(
        f"/api/players/{season.players['E']}/stats",
        params={"to": "2026-09-13"},
        headers=season.headers,
    ).json()

    assert body["matches"] == 2
    assert body["range"] == {"from": None, "to": "2026-09-13"}
    assert (body["stats"]["appearances"], body["stats"]["minutes"], body["stats"]["goals"]) == (
        2,
        70,
        1,
    )
    assert body["fairness"]["minutes_share"] == 0.7
    assert body["stats"]["player"]["display_name"] == "E"


def test_another_coach_of_the_team_reads_the_same_stats(client: TestClient) -> None:
    season = _season(client)
    assistant = factories.coach(client)
    factories.join(client, season.headers, season.team_id, assistant)

    theirs = client.get(f"/api/teams/{season.team_id}/stats", headers=assistant)
    ours = client.get(f"/api/teams/{season.team_id}/stats", headers=season.headers)

    assert theirs.status_code == 200
    assert theirs.json() == ours.json()


def test_the_season_csv(client: TestClient) -> None:
    season = _season(client)
    renamed = client.put(
        f"/api/players/{season.players['C']}",
        json={"squad_number": 3, "display_name": '=HYPERLINK("http://x")'},
        headers=season.headers,
    )
    assert renamed.status_code == 200, renamed.text

    answer = client.get(
        f"/api/teams/{season.team_id}/stats.csv",
        params={"to": "2026-09-13"},
        headers=season.headers,
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [row["player"] for row in rows] == ["A", "B", '\'=HYPERLINK("http://x")', "D", "E"]
    by_name = {row["player"]: row for row in rows}
    assert (by_name["E"]["minutes"], by_name["E"]["goals"], by_name["E"]["starts"]) == (
        "70",
        "1",
        "1",
    )
    assert by_name["B"]["assists"] == "1"
    assert by_name["A"]["squad_number"] == "1"


def test_the_minutes_csv(client: TestClient) -> None:
    season = _season(client)

    answer = client.get(f"/api/matches/{season.matches[0]}/minutes.csv", headers=season.headers)

    assert answer.status_code == 200
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="minutes-{season.matches[0]}.csv"'
    )
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows[0] == [
        "player_id", "squad_number", "player", "started", "minutes", "bench",
        "period_1", "period_2",
    ]  # fmt: skip
    assert [row[2:] for row in rows[1:]] == [
        ["A", "yes", "50", "0", "25", "25"],
        ["B", "yes", "50", "0", "25", "25"],
        ["C", "yes", "20", "30", "20", "0"],
        ["D", "yes", "35", "0", "25", "10"],
        ["E", "sub", "30", "20", "5", "25"],
    ]


def test_a_range_that_ends_before_it_starts_is_refused(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)

    for path in ("stats", "fairness", "stats.csv"):
        answer = client.get(
            f"/api/teams/{team_id}/{path}",
            params={"from": "2026-09-14", "to": "2026-09-13"},
            headers=headers,
        )
        assert answer.status_code == 422, path
        assert answer.json()["error"]["field"] == "from", path


def test_a_date_that_is_not_one_is_refused(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)

    for name, value in (("from", "2026-13-01"), ("to", "yesterday")):
        answer = client.get(f"/api/teams/{team_id}/stats", params={name: value}, headers=headers)
        assert answer.status_code == 422
        assert answer.json()["error"]["field"] == name


def test_a_team_without_matches_has_empty_stats(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    factories.player(client, headers, team_id)

    body = client.get(f"/api/teams/{team_id}/stats", headers=headers).json()

    assert body["matches"] == 0
    assert body["players"] == []
    assert body["record"]["form"] == []
    assert str(uuid.UUID(body["team_id"])) == team_id


def test_a_change_after_a_read_is_in_the_next_answer(client: TestClient) -> None:
    season = _season(client)
    match_id = season.matches[0]
    url = f"/api/teams/{season.team_id}/stats"
    before = _by_name(client.get(url, headers=season.headers).json()["players"])
    goal = _log(client, season, match_id, "goal", 2, 40, player="A")

    added = _by_name(client.get(url, headers=season.headers).json()["players"])
    assert added["A"]["goals"] == before["A"]["goals"] + 1

    response = client.delete(f"/api/events/{goal}", headers=season.headers)
    assert response.status_code in (200, 204), response.text
    removed = _by_name(client.get(url, headers=season.headers).json()["players"])
    assert removed["A"]["goals"] == before["A"]["goals"]

    _lineup(client, season, match_id, "ABCDE", "")
    minutes = client.get(f"/api/matches/{match_id}/stats", headers=season.headers).json()
    assert _by_name(minutes["players"])["E"]["started"] is True
