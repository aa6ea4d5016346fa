"""Which encoding a pull travels in: brotli where accepted, else gzip, else plain."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from backend.ops.compression import accepts
from tests import factories


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("gzip, deflate, br, zstd", True),
        ("br;q=1.0, gzip;q=0.8", True),
        ("BR", True),
        ("gzip, br;q=0", False),
        ("gzip, br; q=0.0", False),
        ("brotli, gzip", False),
        ("br;q=oops", False),
        ("", False),
    ],
)
def test_the_accept_encoding_header_is_read_by_coding_and_weight(
    header: str, expected: bool
) -> None:
    assert accepts(header, "br") is expected


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
    # Large enough to compress, but not /sync: left plain.
    events = client.get(
        f"/api/matches/{match_id}/events", headers=headers | {"Accept-Encoding": "br"}
    )

    assert plain[0] is None
    assert gzipped[0] == refused[0] == "gzip" and gzipped[1] < plain[1] / 3
    assert brotli[0] == "br" and brotli[1] < gzipped[1]
    assert brotli[2] == gzipped[2] == refused[2] == plain[2]
    assert len(events.content) > 1024
    assert "content-encoding" not in events.headers
