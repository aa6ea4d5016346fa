"""Security headers on every kind of response, request ids, timing, and CORS."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response

from backend.web.router import app_dir
from tests import factories
from tests.ops.conftest import OpsClient

JSON = {"Content-Type": "application/json"}

# What every response carries, whoever produced it: a route, an error handler, or a
# middleware refusing the request before any route ran.
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; manifest-src 'self'; worker-src 'self'; frame-ancestors 'none'; "
        "base-uri 'none'; form-action 'self'; object-src 'none'"
    ),
}


def _security(response: Response) -> dict[str, str]:
    return {name: response.headers.get(name, "") for name in SECURITY_HEADERS}


def _assert_observed(response: Response) -> None:
    assert _security(response) == SECURITY_HEADERS
    assert "strict-transport-security" not in response.headers  # plain http here
    assert float(response.headers["x-process-time"]) >= 0
    assert response.headers["x-request-id"]


def test_api_error_and_refusal_responses_all_carry_the_security_headers(
    client: TestClient,
) -> None:
    headers = factories.coach(client)
    ok = client.get("/api/teams", headers=headers)
    unauthorized = client.get("/api/teams")
    not_found = client.get("/api/no-such-route")
    too_large = client.post(
        "/api/teams", content=b"{" + b" " * 1_000_001 + b"}", headers=headers | JSON
    )
    not_json = client.post(
        "/api/teams", content=b"name=Reds", headers=headers | {"Content-Type": "text/plain"}
    )
    assert [r.status_code for r in (ok, unauthorized, not_found, too_large, not_json)] == [
        200,
        401,
        404,
        413,
        415,
    ]
    for response in (ok, unauthorized, not_found, too_large, not_json):
        _assert_observed(response)


def test_hsts_only_when_the_request_came_over_tls(client: TestClient) -> None:
    plain = client.get("/healthz")
    secure = client.get("https://testserver/healthz")
    assert "strict-transport-security" not in plain.headers
    assert secure.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.skipif(app_dir() is None, reason="this installation has no web app")
def test_the_web_app_pages_forbid_framing_inline_script_and_referrers(client: TestClient) -> None:
    for path in ("/", "/watch"):
        page = client.get(path)
        assert page.status_code == 200, path
        policy = page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in policy
        assert "'unsafe-inline'" not in policy
        assert "script-src" not in policy or "script-src 'self'" in policy
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
    # The share token rides in /watch's fragment; no request from that page may name it.
    assert client.get("/watch").headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize(
    ("offered", "echoed"),
    [
        ("req-42.retry_1", True),
        ("a" * 64, True),
        ("a" * 65, False),
        ("abc def", False),
        ("x\u00e9", False),
        ("id;drop", False),
        ("", False),
    ],
)
def test_a_sane_request_id_is_echoed_and_anything_else_replaced(
    client: TestClient, offered: str, echoed: bool
) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": offered.encode("utf-8")})  # type: ignore[dict-item]
    returned = response.headers["x-request-id"]
    if echoed:
        assert returned == offered
    else:
        assert returned != offered
        assert len(returned) == 32 and int(returned, 16) >= 0


def test_every_request_gets_its_own_request_id(client: TestClient) -> None:
    ids = {client.get("/healthz").headers["x-request-id"] for _ in range(5)}
    assert len(ids) == 5


def test_cors_is_off_unless_origins_are_listed(ops_client: OpsClient) -> None:
    origin = {"Origin": "https://club.example.org"}
    preflight = origin | {"Access-Control-Request-Method": "POST"}
    with ops_client() as client:
        assert "access-control-allow-origin" not in client.get("/healthz", headers=origin).headers
        refused = client.options("/api/teams", headers=preflight)
        assert "access-control-allow-origin" not in refused.headers
    with ops_client(cors_origins=["https://club.example.org"]) as client:
        listed = client.get("/healthz", headers=origin)
        assert listed.headers["access-control-allow-origin"] == "https://club.example.org"
        allowed = client.options("/api/teams", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://club.example.org"
        other = {"Origin": "https://evil.example.com"}
        assert "access-control-allow-origin" not in client.get("/healthz", headers=other).headers
        stranger = client.options(
            "/api/teams", headers=other | {"Access-Control-Request-Method": "POST"}
        )
        assert stranger.status_code == 400
        assert "access-control-allow-origin" not in stranger.headers
        # The preflight answer is a response too, and is observed like any other.
        _assert_observed(allowed)
