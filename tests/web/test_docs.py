"""The API docs: served from this installation with no inline script and no other origin,
on by default except in production, where ``TOUCHLINE_API_DOCS=true`` turns them on."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Request, sync_playwright

from backend.app import create_app
from backend.settings import Settings
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.databases import fresh_database
from tests.e2e.server import running_server

DOCS_PATHS = ("/docs", "/openapi.json", "/docs/swagger-ui-bundle.js")
PRODUCTION_KEY = secrets.token_urlsafe(40)


def _client(tmp_path: Path, **settings: Any) -> TestClient:
    # No lifespan: these requests never reach the database.
    database_url = f"sqlite:///{tmp_path / 'unused.db'}"
    return TestClient(create_app(Settings(database_url=database_url, **settings)))


@pytest.mark.parametrize(
    ("settings", "served"),
    [
        ({"environment": "development"}, True),
        ({"environment": "test"}, True),
        ({"environment": "production", "secret_keys": [PRODUCTION_KEY]}, False),
        ({"environment": "production", "secret_keys": [PRODUCTION_KEY], "api_docs": True}, True),
        ({"environment": "development", "api_docs": False}, False),
    ],
    ids=["development", "test", "production", "production-opted-in", "development-opted-out"],
)
def test_api_docs_are_on_except_in_production_unless_asked_for(
    tmp_path: Path, settings: dict[str, Any], served: bool
) -> None:
    client = _client(tmp_path, **settings)
    for path in DOCS_PATHS:
        response = client.get(path)
        assert response.status_code == (200 if served else 404), path
    assert client.get("/healthz").status_code == 200


def test_the_docs_page_loads_only_local_assets_with_no_inline_script(tmp_path: Path) -> None:
    client = _client(tmp_path)
    page = client.get("/docs")
    policy = page.headers["content-security-policy"]
    # The policy of every response: nothing inline, nothing from another origin.
    assert policy == client.get("/api/teams").headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy and "http" not in policy
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts and all('src="/docs/' in attrs and not body for attrs, body in scripts)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert all(asset.startswith("/docs/") for asset in assets), assets
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200, asset
        assert response.headers["content-security-policy"] == policy
    assert client.get("/docs/swagger-init.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/docs/../pyproject.toml").status_code == 404
    assert client.get("/docs/swagger-ui.js.map").status_code == 404


@pytest.mark.e2e
def test_the_docs_render_in_a_browser_without_internet(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing")
    elsewhere: list[str] = []
    problems: list[str] = []
    with (
        fresh_database("sqlite", tmp_path) as url,
        running_server(url, tmp_path / "server.log", migrate=True) as server,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()

            def offline(route: Any, request: Request) -> None:
                # A club laptop with no internet: anything not from the server fails.
                if request.url.startswith(server.base_url):
                    route.continue_()
                else:
                    elsewhere.append(request.url)
                    route.abort()

            tab.route("**/*", offline)
            tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            tab.on("pageerror", lambda error: problems.append(str(error)))
            tab.goto(server.base_url + "/docs")
            tab.wait_for_selector(".opblock-summary-path", timeout=30_000)
            assert "/api/teams" in tab.content()
            tab.locator(".opblock-summary").first.click()  # an operation, opened
            tab.wait_for_selector(".opblock-body .parameters-container", timeout=30_000)
        finally:
            browser.close()
    assert elsewhere == []
    assert problems == [], problems  # a CSP violation is reported as a console error
