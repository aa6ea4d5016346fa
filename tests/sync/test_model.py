"""/sync against a model: several coaches' phones queue event mutations and push them
duplicated, reordered, truncated, with gaps, or again after they were acknowledged.

Requests run one at a time, so the order in which the server applies mutations is the
order of the responses. The model replays each device's mutations in that order (ids
(old last_mutation_id, new last_mutation_id], each once) and predicts every verdict, every
event's fields and every sequence number. After each step the server's events must equal
the model's: a mutation applied twice would take a second sequence number, one applied
out of a device's order would leave another note. At the end every phone drains its
outbox and pulls to idle, and must then hold exactly the server's live events.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from backend.app import create_app
from backend.db.engine import Database
from backend.settings import Settings
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.records import full
from tests.databases import migrated_database
from tests.factories import PASSWORD, join

COACHES = 3
KINDS = ["goal", "save", "tackle", "foul", "interception"]
SHAPES = ["as_is", "duplicated", "shuffled", "prefix", "gap"]


@dataclass
class World:
    """One migrated database per kind, shared by every example: the coaches and their team
    are made once (password hashing is slow); each example logs a match of its own."""

    client: TestClient
    logins: list[dict[str, str]]
    team_id: str


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    with migrated_database(request.param, tmp_path_factory.mktemp("model")) as url:
        database = Database.connect(url)
        # Every example's checks read through the owner's token: no rate limit applies here.
        unlimited = {"rate_per_second": 1e6, "rate_burst": 1_000_000, "password_hasher": "fast"}
        app = create_app(
            Settings(environment="test", database_url=url, **unlimited), database=database
        )
        try:
            with TestClient(app) as client:
                emails = [f"coach{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(COACHES)]
                logins = [_login(client, email) for email in emails]
                team = client.post("/api/teams", json={"name": "Reds U10"}, headers=logins[0])
                assert team.status_code == 201, team.text
                for login in logins[1:]:
                    join(client, logins[0], team.json()["id"], login)
                yield World(client, logins, team.json()["id"])
        finally:
            database.dispose()


def _login(client: TestClient, email: str) -> dict[str, str]:
    created = client.post(
        "/api/accounts", json={"email": email, "password": PASSWORD, "display_name": "Coach"}
    )
    assert created.status_code == 201, created.text
    login = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


@dataclass
class ModelEvent:
    kind: str
    minute: int
    note: str | None
    seq: int
    deleted: bool = False


@dataclass
class Phone:
    number: int
    device_id: str
    headers: dict[str, str]
    outbox: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1
    acknowledged: int = 0
    cursor: str | None = None
    sent: list[list[dict[str, Any]]] = field(default_factory=list)
    """Batches sent whose every mutation has since been acknowledged."""
    queued: dict[int, dict[str, Any]] = field(default_factory=dict)
    known: list[str] = field(default_factory=list)
    """Event ids the phone can target: its own, and every one it has pulled."""
    local: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The live events as pulled."""
    last_position: tuple[int, str] = (0, "")


class SyncModel(RuleBasedStateMachine):
    def __init__(self, world: World):
        super().__init__()
        self.client = world.client
        match = self.client.post(
            "/api/matches",
            json={
                "team_id": world.team_id,
                "opponent": "Blues",
                "kickoff_at": "2026-11-21T10:00:00Z",
            },
            headers=world.logins[0],
        )
        assert match.status_code == 201, match.text
        self.match_id: str = match.json()["id"]
        # Kicked off first, as every match that takes events is.
        self.kick_off = str(uuid.uuid4())
        whistle = {"id": self.kick_off, "kind": "kick_off", "period": 1, "minute": 0}
        kicked_off = self.client.post(
            f"/api/matches/{self.match_id}/events", json=whistle, headers=world.logins[0]
        )
        assert kicked_off.status_code == 201, kicked_off.text
        self.owner = world.logins[0]
        self.phones = []
        for number, login in enumerate(world.logins):
            device = self.client.post(
                "/api/devices", json={"name": f"phone {number}"}, headers=login
            )
            assert device.status_code == 201, device.text
            body = device.json()
            self.phones.append(
                Phone(number, body["id"], {"Authorization": f"Bearer {body['token']}"})
            )
        # A new match's own row takes sequence number 1, its kick-off 2.
        self.events: dict[str, ModelEvent] = {self.kick_off: ModelEvent("kick_off", 0, None, 2)}
        self.head = 2
        self.verdicts: dict[tuple[int, int], str] = {}
        self.applied: dict[int, int] = {phone.number: 0 for phone in self.phones}

    # --- queueing, offline --------------------------------------------------------------

    def _queue(self, phone: Phone, name: str, args: dict[str, Any]) -> None:
        mutation = {"id": phone.next_id, "name": name, "args": args}
        phone.next_id += 1
        phone.outbox.append(mutation)
        phone.queued[mutation["id"]] = mutation

    @rule(n=st.integers(0, COACHES - 1), kind=st.sampled_from(KINDS), minute=st.integers(0, 90))
    def add_event(self, n: int, kind: str, minute: int) -> None:
        phone = self.phones[n]
        event_id = str(uuid.uuid4())
        self._queue(
            phone,
            "add_event",
            {
                "id": event_id,
                "match_id": self.match_id,
                "kind": kind,
                "period": 1,
                "minute": minute,
            },
        )
        phone.known.append(event_id)

    @precondition(lambda self: any(phone.known for phone in self.phones))
    @rule(data=st.data(), minute=st.none() | st.integers(0, 90))
    def edit_event(self, data: st.DataObject, minute: int | None) -> None:
        phone = data.draw(st.sampled_from([p for p in self.phones if p.known]))
        target = data.draw(st.sampled_from(phone.known))
        # The note names the phone and the mutation, so the server's note says which
        # edit was applied last.
        changes: dict[str, Any] = {"note": f"p{phone.number}m{phone.next_id}"}
        if minute is not None:
            changes["minute"] = minute
        self._queue(phone, "edit_event", {"event_id": target, "changes": changes})

    @precondition(lambda self: any(phone.known for phone in self.phones))
    @rule(data=st.data())
    def delete_event(self, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from([p for p in self.phones if p.known]))
        target = data.draw(st.sampled_from(phone.known))
        self._queue(phone, "delete_event", {"event_id": target})

    # --- talking to the server ----------------------------------------------------------

    @rule(
        n=st.integers(0, COACHES - 1),
        shape=st.sampled_from(SHAPES),
        pull=st.booleans(),
        data=st.data(),
    )
    def push(self, n: int, shape: str, pull: bool, data: st.DataObject) -> None:
        phone = self.phones[n]
        batch = list(phone.outbox)
        if shape == "duplicated":
            batch = batch + batch
        elif shape == "shuffled":
            batch = data.draw(st.permutations(batch))
        elif shape == "prefix" and batch:
            batch = batch[: data.draw(st.integers(0, len(batch) - 1))]
        elif shape == "gap" and len(batch) >= 3:
            del batch[data.draw(st.integers(1, len(batch) - 2))]
        self._sync(phone, batch, pull=pull)

    @precondition(lambda self: any(phone.sent for phone in self.phones))
    @rule(data=st.data())
    def resend_acknowledged(self, data: st.DataObject) -> None:
        phone = data.draw(st.sampled_from([p for p in self.phones if p.sent]))
        self._sync(phone, data.draw(st.sampled_from(phone.sent)), pull=False)

    @rule(n=st.integers(0, COACHES - 1), max_changes=st.sampled_from([1, 2, 5, 500]))
    def pull(self, n: int, max_changes: int) -> None:
        self._sync(self.phones[n], [], pull=True, max_changes=max_changes)

    def _sync(
        self, phone: Phone, batch: list[dict[str, Any]], *, pull: bool, max_changes: int = 500
    ) -> dict[str, Any]:
        response = self.client.post(
            "/sync",
            json={
                "protocol": PROTOCOL_VERSION,
                "device_id": phone.device_id,
                "cursor": phone.cursor,
                "mutations": batch,
                "pull": pull,
                "max_changes": max_changes,
            },
            headers=phone.headers,
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        assert body["reset"] is None

        # What the protocol promises the push did: ids at or below the last applied, or
        # sent earlier in the batch, are replays; the next ids apply in order; an id past
        # the next one stops the batch. Every entry before the stop is answered, in order.
        before = phone.acknowledged
        expected, gap, answered = before + 1, None, []
        for mutation in batch:
            if mutation["id"] > expected:
                gap = expected
                break
            replayed = mutation["id"] < expected
            expected += 0 if replayed else 1
            answered.append((mutation["id"], replayed))
        assert body["last_mutation_id"] == expected - 1, body
        assert body["gap"] == ({"expected": gap} if gap is not None else None), body
        for mutation_id in range(before + 1, expected):
            self._apply(phone, phone.queued[mutation_id])

        assert [(r["id"], r.get("replayed", False)) for r in body["results"]] == answered, body
        for result in body["results"]:
            assert result["verdict"] == self.verdicts[phone.number, result["id"]], result
            if result["verdict"] == "conflict" and "replayed" not in result:
                assert result["current"]["deleted"] is True, result

        phone.acknowledged = body["last_mutation_id"]
        phone.outbox = [m for m in phone.outbox if m["id"] > phone.acknowledged]
        if batch and all(m["id"] <= phone.acknowledged for m in batch):
            phone.sent.append(batch)
        phone.cursor = body["cursor"]
        for change in body["changes"]:
            self._receive(phone, change)
        assert body["has_more"] is False or pull
        return body

    def _apply(self, phone: Phone, mutation: dict[str, Any]) -> None:
        """The server applied this mutation now: the model does the same."""
        args = mutation["args"]
        verdict = "applied"
        if mutation["name"] == "add_event":
            assert args["id"] not in self.events
            self.head += 1
            self.events[args["id"]] = ModelEvent(args["kind"], args["minute"], None, self.head)
        elif mutation["name"] == "edit_event":
            event = self.events[args["event_id"]]
            if event.deleted:
                verdict = "conflict"  # a delete beats an edit applied after it
            else:
                self.head += 1
                event.seq = self.head
                event.note = args["changes"]["note"]
                event.minute = args["changes"].get("minute", event.minute)
        else:
            event = self.events[args["event_id"]]
            if not event.deleted:
                self.head += 1
                event.seq, event.deleted = self.head, True
        assert self.applied[phone.number] == mutation["id"] - 1, "applied out of order"
        self.applied[phone.number] = mutation["id"]
        self.verdicts[phone.number, mutation["id"]] = verdict

    def _receive(self, phone: Phone, compact: dict[str, Any]) -> None:
        # Protocol 3: ids come bare, and "deleted" is there only when true.
        assert "-" not in compact["id"] + compact["space"], compact
        assert compact.get("deleted", True) is True, compact
        change = full(compact)
        if change["space"] != self.match_id:
            return  # the team's roster: nothing of this match
        # Positions only move forward: a change is never sent twice, nor out of order. (A
        # period marker and its match's row share the marker's seq: at one seq, a match row
        # and an event may both come, two changes of one type never.)
        last, last_type = phone.last_position
        assert change["seq"] > last or (change["seq"] == last and change["type"] != last_type), (
            change
        )
        phone.last_position = (change["seq"], change["type"])
        if change["type"] != "event":
            return
        # The pull reads after the push committed, so it sees the model's present.
        model = self.events[change["id"]]
        assert change["seq"] == model.seq, change
        assert change["deleted"] == model.deleted, change
        data = change["data"]
        if data is None:
            phone.local.pop(change["id"], None)
        else:
            assert (data["kind"], data["minute"], data["note"]) == (
                model.kind,
                model.minute,
                model.note,
            )
            phone.local[change["id"]] = data
        # The kick-off is never edited or undone here: every event is logged in play.
        if change["id"] not in phone.known and change["id"] != self.kick_off:
            phone.known.append(change["id"])

    # --- what must always hold ----------------------------------------------------------

    def _server_events(self) -> list[dict[str, Any]]:
        response = self.client.get(
            f"/api/matches/{self.match_id}/events",
            params={"include_deleted": "true", "limit": 1000},
            headers=self.owner,
        )
        assert response.status_code == 200, response.text
        items: list[dict[str, Any]] = response.json()["items"]
        return items

    @invariant()
    def server_matches_model(self) -> None:
        server = {
            e["id"]: ModelEvent(e["kind"], e["minute"], e["note"], e["seq"], e["deleted"])
            for e in self._server_events()
        }
        assert server == self.events

    def teardown(self) -> None:
        try:
            for phone in self.phones:
                for _ in range(3):
                    if not phone.outbox:
                        break
                    self._sync(phone, list(phone.outbox), pull=False)
                assert phone.outbox == [], "a gap-free resend of the outbox must drain it"
            for phone in self.phones:
                while self._sync(phone, [], pull=True, max_changes=3 if phone.number % 2 else 500)[
                    "has_more"
                ]:
                    pass
            server = self._server_events()
            ids = [e["id"] for e in server]
            logged = {self.kick_off} | {
                m["args"]["id"]
                for phone in self.phones
                for m in phone.queued.values()
                if m["name"] == "add_event"
            }
            assert sorted(ids) == sorted(logged)  # every logged event, each exactly once
            live = {
                e["id"]: (e["kind"], e["minute"], e["note"]) for e in server if not e["deleted"]
            }
            for phone in self.phones:
                mine = {i: (d["kind"], d["minute"], d["note"]) for i, d in phone.local.items()}
                assert mine == live, f"phone {phone.number} did not converge"
        finally:
            deleted = self.client.delete(f"/api/matches/{self.match_id}", headers=self.owner)
            assert deleted.status_code == 204, deleted.text


def test_sync_keeps_every_mutation_once_in_each_devices_order(world: World) -> None:
    run_state_machine_as_test(
        lambda: SyncModel(world),
        settings=settings(
            max_examples=25,
            stateful_step_count=30,
            deadline=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate, Phase.shrink],
            report_multiple_bugs=False,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
