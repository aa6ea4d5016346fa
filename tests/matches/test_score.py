from __future__ import annotations

from fastapi.testclient import TestClient

from tests import factories


def test_score_is_computed_from_goals_and_own_goals(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    match_id = factories.match(client, headers, team_id, is_home=False)
    factories.event(client, headers, match_id, "kick_off", minute=0)
    factories.event(client, headers, match_id, "goal", side="team")
    factories.event(client, headers, match_id, "own_goal", side="opposition")
    factories.event(client, headers, match_id, "own_goal", side="team")
    doomed = factories.event(client, headers, match_id, "goal", side="opposition")
    assert client.delete(f"/api/events/{doomed['id']}", headers=headers).status_code == 204

    match = client.get(f"/api/matches/{match_id}", headers=headers).json()["match"]

    assert match["score"] == {"team": 2, "opposition": 1, "home": 1, "away": 2}
    assert match["status"] == "live"
