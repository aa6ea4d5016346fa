"""Which encoding a pull travels in: brotli where accepted, else gzip, else plain."""

from __future__ import annotations

import http.client
import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from backend.ops.compression import SMALL_BYTES, accepts
from tests import factories
from tests.databases import fresh_database
from tests.e2e.server import running_server


@pytest.mark.parametrize(
    ("header", "coding", "expected"),
    [
        ("gzip, deflate, br, zstd", "br", True),
        ("br;q=1.0, gzip;q=0.8", "br", True),
        ("BR", "br", True),
        ("gzip, br;q=0", "br", False),
        ("gzip, br; q=0.0", "br", False),
        ("brotli, gzip", "br", False),
        ("br;q=oops", "br", False),
        ("", "br", False),
        ("gzip;q=0, identity", "gzip", False),
        ("GZIP; Q=0.000, br", "gzip", False),
        ("identity, gzip;q=0.5", "gzip", True),
        ("*", "gzip", True),
        ("*;q=0", "br", False),
        ("br;q=0, *", "br", False),
        ("gzip, *;q=0", "gzip", True),
    ],
)
def test_the_accept_encoding_header_is_read_by_coding_and_weight(
    header: str, coding: str, expected: bool
) -> None:
    assert accepts(header, coding) is expected


def test_a_pull_travels_compressed_as_the_client_accepts(client: TestClient) -> None:
    headers = factories.coach(client)
    team_id = factories.team(client, headers)
    match_id = factories.live_match(client, headers, team_id)
    for minute in range(20):
        factories.event(client, headers, match_id, "tackle", minute=minute)
    device_id = client.get("/api/devices", headers=headers).json()[0]["id"]
    body = {"protocol": 1, "device_id": device_id}

    def pull(accept_encoding: str) -> tuple[str | None, int, list[object]]:
        answer = client.post(
            "/sync", json=body, headers=headers | {"Accept-Encoding": accept_encoding}
        )
        assert answer.status_code == 200, answer.text
        return (
            answer.headers.get("content-encoding"),
            int(answer.headers["content-length"]),
            answer.json()["changes"],
        )

    plain = pull("identity")
    gzipped = pull("gzip")
    brotli = pull("gzip, deflate, br")
    refused = pull("gzip, br;q=0")
    neither = pull("gzip;q=0, br;q=0, identity")
    # Large enough to compress, but not /sync: left plain.
    events = client.get(
        f"/api/matches/{match_id}/events", headers=headers | {"Accept-Encoding": "br"}
    )

    assert plain[0] is None and neither[0] is None and neither[1] == plain[1]
    assert gzipped[0] == refused[0] == "gzip" and gzipped[1] < plain[1] / 3
    # A small answer goes at brotli's quickest quality: about gzip's size, for less CPU.
    assert plain[1] < SMALL_BYTES
    assert brotli[0] == "br" and brotli[1] < plain[1] / 3
    assert brotli[2] == gzipped[2] == refused[2] == plain[2]
    assert len(events.content) > 1024
    assert "content-encoding" not in events.headers

    for minute in range(20, 120):
        factories.event(client, headers, match_id, "tackle", minute=minute % 90)
    large, large_gzipped, large_brotli = pull("identity"), pull("gzip"), pull("br")
    # A catch-up page, compressed at quality 5: smaller than gzip's.
    assert large[1] > SMALL_BYTES
    assert large_brotli[0] == "br" and large_brotli[1] < large_gzipped[1]
    assert large_brotli[2] == large_gzipped[2] == large[2]


@pytest.mark.e2e
def test_a_real_server_honours_the_weights_of_accept_encoding(tmp_path: Path) -> None:
    with (
        fresh_database("sqlite", tmp_path) as url,
        running_server(url, tmp_path / "serve.log", migrate=True) as server,
    ):
        device_id, token = server.phone(server.sign_up())
        for n in range(30):
            server.request("POST", "/api/teams", {"name": f"Team {n:02d} of the league"}, token)
        body = json.dumps({"protocol": 3, "device_id": device_id}).encode()

        def encoding(accept_encoding: str) -> str | None:
            connection = http.client.HTTPConnection(server.base_url.removeprefix("http://"))
            headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
            connection.request(
                "POST", "/sync", body, headers | {"Accept-Encoding": accept_encoding}
            )
            response = connection.getresponse()
            raw = response.read()
            connection.close()
            assert response.status == 200, raw
            return response.getheader("content-encoding")

        assert encoding("gzip") == "gzip"
        assert encoding("gzip;q=0, identity") is None
        assert encoding("br;q=0, gzip;q=0.5") == "gzip"
        assert encoding("*;q=0") is None
