"""/sync tests. :class:`Phone` is a coach's device speaking the protocol by hand: it counts
its own mutation ids and keeps the cursor, and nothing more, so each test shows the wire."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from httpx2 import Response

from tests import factories

PERIOD_MARKERS = {"kick_off", "half_time", "full_time"}


class Phone:
    def __init__(self, client: TestClient, headers: dict[str, str] | None = None):
        self.client = client
        self.headers = headers or factories.coach(client)
        devices = client.get("/api/devices", headers=self.headers).json()
        self.device_id: str = devices[-1]["id"]
        self.cursor: str | None = None
        self.next_id = 1

    def mutation(self, name: str, **args: Any) -> dict[str, Any]:
        """The next mutation of this phone's queue, numbered by its counter."""
        mutation = {"id": self.next_id, "name": name, "args": args}
        self.next_id += 1
        return mutation

    def add_event(self, match_id: str, kind: str = "goal", **fields: Any) -> dict[str, Any]:
        body = {"id": str(uuid.uuid4()), "match_id": match_id, "kind": kind, "period": 1}
        return self.mutation("add_event", **(body | {"minute": 1} | fields))

    def post(self, **body: Any) -> Response:
        request = {"protocol": 1, "device_id": self.device_id, "cursor": self.cursor} | body
        return self.client.post("/sync", json=request, headers=self.headers)

    def sync(self, *mutations: dict[str, Any], **body: Any) -> dict[str, Any]:
        """Push ``mutations`` and pull one page; keep the cursor the response hands out."""
        response = self.post(mutations=list(mutations), **body)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        self.cursor = answer["cursor"]
        return answer

    def pull_all(self, **body: Any) -> list[dict[str, Any]]:
        """Every change up to the head, page after page while ``has_more``."""
        changes: list[dict[str, Any]] = []
        while True:
            answer = self.sync(**body)
            changes += answer["changes"]
            if not answer["has_more"]:
                return changes

    def lag(self) -> dict[str, Any]:
        response = self.client.get(f"/api/devices/{self.device_id}/sync", headers=self.headers)
        assert response.status_code == 200, response.text
        status: dict[str, Any] = response.json()
        return status


def events(
    client: TestClient, headers: dict[str, str], match_id: str, *, markers: bool = True
) -> list[dict[str, Any]]:
    """The match's events as REST shows them, tombstones included, in sequence order;
    without its period markers unless ``markers``."""
    response = client.get(
        f"/api/matches/{match_id}/events",
        params={"include_deleted": "true"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return [e for e in items if markers or e["kind"] not in PERIOD_MARKERS]
