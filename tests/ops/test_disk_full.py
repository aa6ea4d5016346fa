"""A full disk refuses writes clearly (507) and loses nothing already acknowledged.

The database is a real SQLite file whose size is capped with ``PRAGMA max_page_count``,
which fails writes with SQLite's own "database or disk is full", as a full disk does.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event, text

from backend.app import create_app
from backend.db.engine import Database
from backend.settings import Settings
from tests import factories
from tests.databases import migrated_database

MAX_BATCHES = 200


def _batch(start: int, match_id: str, size: int = 50) -> list[dict[str, Any]]:
    return [
        {
            "id": start + n,
            "name": "add_event",
            "args": {
                "id": str(uuid.uuid4()),
                "match_id": match_id,
                "kind": "tackle",
                "period": 1,
                "minute": n % 90,
                "note": "a tackle worth writing a few words about " * 3,
            },
        }
        for n in range(size)
    ]


def test_a_full_disk_refuses_the_batch_and_keeps_everything_acknowledged(
    tmp_path: Path,
) -> None:
    with migrated_database("sqlite", tmp_path) as url:
        db = Database.connect(url)
        settings = Settings(environment="test", database_url=url, rate_burst=1_000_000)
        with TestClient(create_app(settings, database=db)) as client:
            headers = factories.coach(client)
            team_id = factories.team(client, headers)
            match_id = factories.live_match(client, headers, team_id)
            device_id = client.get("/api/devices", headers=headers).json()[0]["id"]

            with db.engine.connect() as connection:
                pages = connection.execute(text("PRAGMA page_count")).scalar_one()

            @event.listens_for(db.engine, "connect")
            def _cap(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 8}")

            db.engine.dispose()

            acknowledged: list[str] = []
            refused = None
            next_id = 1
            for _ in range(MAX_BATCHES):
                mutations = _batch(next_id, match_id)
                body = {"protocol": 1, "device_id": device_id, "mutations": mutations}
                response = client.post("/sync", json=body, headers=headers)
                if response.status_code != 200:
                    refused = (response, [m["args"]["id"] for m in mutations])
                    break
                assert response.json()["last_mutation_id"] == next_id + len(mutations) - 1
                acknowledged += [m["args"]["id"] for m in mutations]
                next_id += len(mutations)

            assert refused is not None, "the capped database never filled up"
            response, lost_batch = refused
            assert response.status_code == 507
            assert response.json()["error"]["code"] == "storage_full"

            stored = client.get(
                f"/api/matches/{match_id}/events", params={"limit": 1000}, headers=headers
            ).json()["items"]
            ids = [e["id"] for e in stored if e["kind"] != "kick_off"]
            assert len(acknowledged) > 0
            assert sorted(ids) == sorted(acknowledged)
            assert not set(lost_batch) & set(ids)
            lag = client.get(f"/api/devices/{device_id}/sync", headers=headers).json()
            assert lag["last_mutation_id"] == len(acknowledged)
        db.dispose()
