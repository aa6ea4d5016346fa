"""/metrics: Prometheus text for loopback clients or the metrics token, and nothing for
anyone else."""

from __future__ import annotations

import re

from tests import factories
from tests.ops.conftest import OpsClient

TOKEN = "scrape-me-a-long-random-metrics-token"


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample line, or None if the exposition has no such line."""
    for line in text.splitlines():
        match = re.fullmatch(r"(\w+)(?:\{(.*)\})? (\S+)", line)
        if match is None or match[1] != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match[2] or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match[3])
    return None


def test_loopback_clients_read_request_counts_per_route_template(ops_client: OpsClient) -> None:
    with ops_client() as client:
        headers = factories.coach(client)
        team_id = factories.team(client, headers)
        match_ids = [factories.match(client, headers, team_id) for _ in range(3)]
        for match_id in match_ids:
            assert client.get(f"/api/matches/{match_id}", headers=headers).status_code == 200
        client.get(f"/api/matches/{match_ids[0]}")  # 401

        response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")
        text = response.text

    route = "/api/matches/{match_id}"
    assert _sample(text, "touchline_http_requests_total", route=route, status="200") == 3
    assert _sample(text, "touchline_http_requests_total", route=route, status="401") == 1
    # One series per template, never one per id: an id in a label would grow without end.
    assert not any(match_id in text for match_id in match_ids)
    assert _sample(text, "touchline_http_request_seconds_count", route=route) == 4
    assert _sample(text, "touchline_live_connections") == 0


def test_with_a_token_configured_only_that_token_reads_metrics(ops_client: OpsClient) -> None:
    with ops_client(metrics_token=TOKEN) as client:
        for headers in (
            {},
            {"Authorization": "Bearer wrong"},
            {"Authorization": f"Bearer {TOKEN}x"},
            {"Authorization": TOKEN},
            {"Authorization": f"Basic {TOKEN}"},
        ):
            refused = client.get("/metrics", headers=headers)
            # A 404 like any unknown path: a scanner learns nothing.
            assert refused.status_code == 404, headers
            assert refused.json()["error"]["code"] == "not_found"
        allowed = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert allowed.status_code == 200
    assert "touchline_http_requests_total" in allowed.text


def test_sync_batches_are_counted_by_verdict(ops_client: OpsClient) -> None:
    with ops_client() as client:
        headers = factories.coach(client)
        device_id = client.get("/api/devices", headers=headers).json()[0]["id"]
        body = {
            "protocol": 1,
            "device_id": device_id,
            "pull": False,
            "mutations": [
                {"id": 1, "name": "add_team", "args": {"name": "x"}},
                {"id": 2, "name": "no_such_command", "args": {}},
            ],
        }
        assert client.post("/sync", json=body, headers=headers).status_code == 200
        text = client.get("/metrics").text
    assert _sample(text, "touchline_sync_batches_total") == 1
    assert _sample(text, "touchline_sync_mutations_total", verdict="rejected") == 2
