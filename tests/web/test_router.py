"""The web app is served from pwa/ with the headers a browser needs to install it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from fastapi.testclient import TestClient

ROOT = Path(__file__).resolve().parents[2]


def test_pages_and_assets_are_served_with_their_media_types(client: TestClient) -> None:
    expected = {
        "/": "text/html",
        "/watch": "text/html",
        "/privacy": "text/html",
        "/app.css": "text/css",
        "/js/coach.js": "text/javascript",
        "/js/watch.js": "text/javascript",
        "/js/screens/match.js": "text/javascript",
        "/icons/icon-512.png": "image/png",
        "/manifest.webmanifest": "application/manifest+json",
        "/sw.js": "text/javascript",
    }
    for path, media_type in expected.items():
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(media_type), path
        assert response.headers["cache-control"] == "no-cache", path


def test_the_privacy_page_says_what_is_stored_and_how_to_erase_it(client: TestClient) -> None:
    page = client.get("/privacy").text

    for heading in ("What is stored", "Who sees what", "How to erase", "How long"):
        assert f"<h2>{heading}</h2>" in page
    assert "Former player" in page and "Backups" in page


def test_the_watch_page_sends_no_referrer(client: TestClient) -> None:
    assert client.get("/watch").headers["referrer-policy"] == "no-referrer"


def test_the_service_worker_may_control_the_whole_origin_and_names_its_cache(
    client: TestClient,
) -> None:
    response = client.get("/sw.js")

    assert response.headers["service-worker-allowed"] == "/"
    assert "__SHELL_VERSION__" not in response.text
    assert re.search(r'SHELL_VERSION = "[0-9a-f]{16}"', response.text)


def test_only_files_of_the_app_are_served(client: TestClient) -> None:
    for path in (
        "/js/missing.js",
        "/js/..%2Fsw.js",
        "/js/coach.js.map",
        "/js/screens/missing.js",
        "/js/screens/..%2Fcoach.js",
        "/icons/x.svg",
    ):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response.json()["error"]["code"] == "not_found"


def test_api_paths_still_answer_as_the_api(client: TestClient) -> None:
    assert client.get("/api/nothing-here").json()["error"]["code"] == "not_found"
    assert client.get("/sync").status_code == 405
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/", "/watch", "/sw.js"} & set(paths)


def test_an_installed_server_gets_every_file_of_the_app() -> None:
    """``pip install .`` copies the app by pyproject's data-files, each glob's files into
    its folder under share/touchline/: every file of the app (its node tests aside) must
    land where the checkout has it."""
    data_files = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    installed = {
        f"{folder.removeprefix('share/touchline/')}/{path.name}"
        for folder, globs in data_files["data-files"].items()
        for pattern in globs
        for path in ROOT.glob(pattern)
    }
    app = {
        path.relative_to(ROOT).as_posix()
        for path in (ROOT / "pwa").rglob("*")
        if path.is_file() and "tests" not in path.relative_to(ROOT / "pwa").parts
    }

    assert app - installed == set()
