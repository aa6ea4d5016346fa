"""The team calendar feed, read as a phone's calendar reads it: parsed by icalendar."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from icalendar import Calendar

from backend.calendars.feed import duration
from backend.calendars.tokens import CalendarTokens
from tests import factories


def _kickoff(days: int, hour: int = 10) -> str:
    day = datetime.now(UTC).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00Z"


def _feed_path(client: TestClient, headers: dict[str, str], team_id: str) -> str:
    response = client.get(f"/api/teams/{team_id}/calendar", headers=headers)
    assert response.status_code == 200, response.text
    return str(response.json()["path"])


def _events(client: TestClient, path: str) -> dict[str, Any]:
    response = client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]).split("@")[0]: event for event in calendar.walk("VEVENT")}


def test_a_scheduled_match_is_an_event_with_its_time_place_and_length(
    client: TestClient,
) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach, name="Reds")
    home = factories.match(
        client,
        coach,
        team_id,
        opponent="Blues",
        kickoff_at=_kickoff(7),
        venue="Hackney Marshes pitch 4",
        competition="County Cup",
        periods=4,
        period_minutes=12,
    )
    away = factories.match(client, coach, team_id, opponent="Greens", is_home=False)
    factories.player(client, coach, team_id, 7, "Jojo Secretname")

    path = _feed_path(client, coach, team_id)
    events = _events(client, path)

    event = events[home]
    assert str(event["SUMMARY"]) == "Reds v Blues"
    assert str(event["LOCATION"]) == "Hackney Marshes pitch 4"
    assert "County Cup" in str(event["DESCRIPTION"])
    start = event.decoded("DTSTART")
    assert start.isoformat() == _kickoff(7).replace("Z", "+00:00")
    # 4 x 12 minutes, two short breaks and half-time.
    assert event.decoded("DTEND") - start == timedelta(minutes=48 + 5 + 10 + 5)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert str(events[away]["SUMMARY"]) == "Greens v Reds"
    assert "Friendly" in str(events[away]["DESCRIPTION"])
    assert b"Secretname" not in client.get(path).content
    assert b"Jojo" not in client.get(path).content


def test_a_change_and_a_cancellation_flow_through(client: TestClient) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    match_id = factories.match(client, coach, team_id, kickoff_at=_kickoff(7), venue="Park")
    path = _feed_path(client, coach, team_id)
    before = _events(client, path)[match_id]

    moved = {"opponent": "Blues", "kickoff_at": _kickoff(8, 14), "venue": "Rec ground"}
    assert client.put(f"/api/matches/{match_id}", json=moved, headers=coach).status_code == 200
    after = _events(client, path)[match_id]

    assert after["UID"] == before["UID"]
    assert after.decoded("DTSTART").isoformat() == _kickoff(8, 14).replace("Z", "+00:00")
    assert str(after["LOCATION"]) == "Rec ground"
    assert after.decoded("SEQUENCE") > before.decoded("SEQUENCE")
    assert after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")

    assert client.delete(f"/api/matches/{match_id}", headers=coach).status_code == 204
    cancelled = _events(client, path)[match_id]

    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert cancelled.decoded("SEQUENCE") > after.decoded("SEQUENCE")


def test_a_cancelled_match_leaves_the_feed_30_days_after_its_kick_off(
    client: TestClient,
) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    recent = factories.match(client, coach, team_id, kickoff_at=_kickoff(-29))
    old = factories.match(client, coach, team_id, kickoff_at=_kickoff(-31))
    played_long_ago = factories.match(client, coach, team_id, kickoff_at=_kickoff(-31))
    for match_id in (recent, old):
        assert client.delete(f"/api/matches/{match_id}", headers=coach).status_code == 204

    events = _events(client, _feed_path(client, coach, team_id))

    assert str(events[recent]["STATUS"]) == "CANCELLED"
    assert old not in events
    assert str(events[played_long_ago]["STATUS"]) == "CONFIRMED"


def test_a_finished_match_shows_its_final_score(client: TestClient) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach, name="Reds")
    match_id = factories.live_match(client, coach, team_id, opponent="Blues", is_home=False)
    factories.event(client, coach, match_id, "goal", minute=3)
    factories.event(client, coach, match_id, "full_time", minute=50)

    event = _events(client, _feed_path(client, coach, team_id))[match_id]

    assert "Full time: Blues v Reds 0-1" in str(event["DESCRIPTION"])


def test_the_feed_is_cached_briefly_and_answers_304_while_unchanged(client: TestClient) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    match_id = factories.match(client, coach, team_id, kickoff_at=_kickoff(3))
    path = _feed_path(client, coach, team_id)
    first = client.get(path)
    etag = first.headers["etag"]

    assert "max-age=300" in first.headers["cache-control"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    client.put(
        f"/api/matches/{match_id}",
        json={"opponent": "Blues", "kickoff_at": _kickoff(4)},
        headers=coach,
    )
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag


def test_the_url_stays_until_rotated_and_rotating_kills_the_old_one(client: TestClient) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    first = _feed_path(client, coach, team_id)
    assert _feed_path(client, coach, team_id) == first

    rotated = client.post(f"/api/teams/{team_id}/calendar/rotate", headers=coach)

    assert rotated.status_code == 201
    new = rotated.json()["path"]
    assert new != first
    assert _feed_path(client, coach, team_id) == new
    gone = client.get(first)
    assert gone.status_code == 410
    assert gone.json()["error"]["code"] == "calendar_rotated"
    assert client.get(new).status_code == 200


def test_a_fellow_coach_can_rotate_and_a_stranger_cannot_see_or_rotate(
    client: TestClient,
) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    fellow = factories.coach(client)
    factories.join(client, owner, team_id, fellow)
    stranger = factories.coach(client)
    path = _feed_path(client, owner, team_id)

    assert client.get(f"/api/teams/{team_id}/calendar", headers=stranger).status_code == 404
    assert client.post(f"/api/teams/{team_id}/calendar/rotate", headers=stranger).status_code == 404
    assert client.get(path).status_code == 200
    assert client.post(f"/api/teams/{team_id}/calendar/rotate", headers=fellow).status_code == 201
    assert client.get(path).status_code == 410


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "eyJhIjoxfQ.forged",
        # Signed for another purpose: a share link's token never opens a calendar.
        "share",
    ],
)
def test_a_token_that_is_not_a_calendar_token_is_404(client: TestClient, token: str) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    _feed_path(client, coach, team_id)
    if token == "share":
        match_id = factories.match(client, coach, team_id)
        token = client.get(f"/api/matches/{match_id}/share", headers=coach).json()["token"]

    response = client.get(f"/calendar/{token}.ics")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_token_naming_no_calendar_is_404(client: TestClient) -> None:
    keys = client.app.state.settings.secret_keys  # type: ignore[attr-defined]
    token = CalendarTokens(keys).issue(uuid.uuid4())

    assert client.get(f"/calendar/{token}.ics").status_code == 404


def test_the_feed_token_never_reaches_the_access_log(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    coach = factories.coach(client)
    team_id = factories.team(client, coach)
    token = client.get(f"/api/teams/{team_id}/calendar", headers=coach).json()["token"]

    with caplog.at_level(logging.INFO, logger="touchline.access"):
        assert client.get(f"/calendar/{token}.ics").status_code == 200

    lines = [r.getMessage() for r in caplog.records if r.name == "touchline.access"]
    assert any("/calendar/{token}.ics" in line for line in lines), lines
    assert not any(token in line for line in lines)


def test_a_match_lasts_its_periods_and_breaks() -> None:
    assert duration(2, 45) == timedelta(minutes=100)
    assert duration(3, 20) == timedelta(minutes=70)
    assert duration(1, 60) == timedelta(minutes=60)


def test_a_deleted_teams_feed_is_gone_with_it(client: TestClient) -> None:
    owner = factories.coach(client)
    team_id = factories.team(client, owner)
    factories.match(client, owner, team_id, kickoff_at=_kickoff(7))
    path = _feed_path(client, owner, team_id)
    assert client.get(path).status_code == 200

    assert client.delete(f"/api/teams/{team_id}", headers=owner).status_code == 204

    gone = client.get(path)
    assert gone.status_code == 404
    assert gone.json() == client.get("/calendar/made-up.ics").json()
