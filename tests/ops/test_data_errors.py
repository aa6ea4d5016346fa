"""A value the database refuses is the request's fault: a 4xx naming it as invalid input,
never the 503 that tells a client the database is down and to retry."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import text

from backend.app import create_app
from backend.settings import Settings
from tests.databases import fresh_database


def test_a_value_the_database_refuses_is_422_not_503(tmp_path: Path) -> None:
    # PostgreSQL only: SQLite stores any value in any column and raises no data errors.
    with fresh_database("postgresql", tmp_path) as database_url:
        app = create_app(Settings(environment="test", database_url=database_url))

        def store(request: Request) -> dict[str, int]:
            # What a route meets if a value slips past validation: PostgreSQL's own
            # refusal ("seven" is no integer), raised as it is by the real driver.
            with request.app.state.db.reader() as session:
                value = session.execute(text("SELECT CAST('seven' AS integer)")).scalar_one()
            return {"value": value}

        app.add_api_route("/api/test-only/store", store)
        with TestClient(app) as client:
            response = client.get("/api/test-only/store")
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert "retry-after" not in response.headers
