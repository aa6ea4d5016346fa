"""One real ``touchline serve`` process and one Debian Chromium, shared by the browser tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.databases import fresh_database
from tests.e2e.server import Server, running_server, touchline

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("browser")
    with fresh_database("sqlite", directory) as database_url:
        upgraded = touchline("db", "upgrade", "--database-url", database_url)
        assert upgraded.returncode == 0, upgraded.stderr
        with running_server(database_url, directory / "server.log") as running:
            yield running


# Package scope, not session: sync Playwright keeps an event loop running in this thread
# until it stops, and any later test that calls asyncio.run() would fail under it.
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
