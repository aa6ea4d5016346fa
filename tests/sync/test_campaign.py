"""The fault campaign: twenty phones (reference clients) log five matches on a real
server, a backup is taken, they go on logging (some pull, some only push), the servers
stop, the database is restored from the backup, and every phone syncs again. At the end
the server holds every event any phone held, each once, with edits and deletes as the
phones last saw them, and every phone holds exactly the server's state.

Seeded (``TOUCHLINE_CAMPAIGN_SEED``, default 19): a failure names its seed and replays.
Edits made after the backup are made by the phone that logged the event, to events logged
after the backup: an edit of a record the backup already holds is not given back (SPEC.md,
"Repair", convergence), while deletions always are.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sync_client.client import SyncClient
from tests.e2e.server import Server, touchline
from tests.sync.clubs import (
    Phone,
    coach,
    from_replica,
    ground,
    live,
    match,
    phone,
    player,
    server_events,
    team,
)

pytestmark = pytest.mark.e2e
DATABASES = pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
SEED = int(os.environ.get("TOUCHLINE_CAMPAIGN_SEED", "19"))
DEVICES, COACHES, MATCHES = 20, 4, 5
KINDS = ("goal", "save", "tackle", "foul", "corner", "shot_on_target", "interception")


@dataclass
class Device:
    client: SyncClient
    pulls: bool
    logged: list[str] = field(default_factory=list)
    """Events this phone logged and has not deleted."""
    logged_late: list[str] = field(default_factory=list)
    """Of those, the ones logged after the backup."""

    def sync(self) -> None:
        if self.pulls:
            self.client.sync_until_idle()
        else:
            self.client.sync(pull=False)


def _club(
    server: Server, tmp_path: Path, rng: random.Random
) -> tuple[list[Device], list[str], str]:
    logins = [coach(server, f"coach{n}@example.org") for n in range(COACHES)]
    first: Phone = phone(server, logins[0], "phone 0")
    team_id = team(server, first.token, "Reds U10", coaches=logins[1:])
    players = [player(server, first.token, team_id, number) for number in range(1, 9)]
    matches = [
        match(server, first.token, team_id, f"Opponent {n}", kicked_off=True)
        for n in range(MATCHES)
    ]
    phones = [first] + [phone(server, logins[n % COACHES], f"phone {n}") for n in range(1, DEVICES)]
    pullers = set(rng.sample(range(DEVICES), DEVICES * 3 // 5))
    devices = [
        Device(
            SyncClient(tmp_path / f"d{n}.db", server.base_url, p.token, p.device_id), n in pullers
        )
        for n, p in enumerate(phones)
    ]
    return devices, matches, players[0]


def _play(
    devices: list[Device], matches: list[str], scorer: str, rng: random.Random, *, late: bool
) -> dict[str, int]:
    """Rounds of taps: each a phone logging, sometimes editing or deleting its own events,
    then syncing as it does (pulling or pushing only)."""
    counts = {"events": 0, "edits": 0, "deletes": 0}
    for _ in range(60):
        device = rng.choice(devices)
        match_id = rng.choice(matches)
        for _ in range(rng.randint(2, 4)):
            kind = rng.choice(KINDS)
            event_id = device.client.add_event(
                match_id,
                kind,
                period=1,
                minute=rng.randint(1, 40),
                player_id=scorer if kind == "goal" and rng.random() < 0.5 else None,
            )
            device.logged.append(event_id)
            if late:
                device.logged_late.append(event_id)
            counts["events"] += 1
        editable = device.logged_late if late else device.logged
        if editable and rng.random() < 0.4:
            device.client.edit_event(rng.choice(editable), minute=rng.randint(41, 45))
            counts["edits"] += 1
        if device.logged and rng.random() < 0.25:
            gone = device.logged.pop(rng.randrange(len(device.logged)))
            if gone in device.logged_late:
                device.logged_late.remove(gone)
            device.client.delete_event(gone)
            counts["deletes"] += 1
        device.sync()
    return counts


def _server_state(
    server: Server, token: str, matches: list[str]
) -> dict[str, list[dict[str, Any]]]:
    return {match_id: server_events(server, token, match_id) for match_id in matches}


@DATABASES
def test_the_fleet_heals_a_restored_server(kind: str, tmp_path: Path) -> None:
    rng = random.Random(f"{SEED}-{kind}")
    backup = tmp_path / "campaign.backup"
    with ground(kind, tmp_path) as pitch:
        with pitch.server() as server:
            devices, matches, scorer = _club(server, tmp_path, rng)
            early = _play(devices, matches, scorer, rng, late=False)
            taken = touchline("db", "backup", str(backup), "--database-url", pitch.database_url)
            assert taken.returncode == 0, taken.stderr
            late = _play(devices, matches, scorer, rng, late=True)
            for device in devices:
                device.sync()  # the pullers see the latest; the others push what they hold
            token = devices[0].client.store.get("token")
            assert token is not None
            before = _server_state(server, token, matches)

        restored = touchline("db", "restore", str(backup), "--database-url", pitch.database_url)
        assert restored.returncode == 0, restored.stderr
        with pitch.server() as server:
            for device in rng.sample(devices, len(devices)):
                device.sync()  # each learns of the restore and gives back what it holds
            for device in devices:
                device.client.sync_until_idle()
            after = _server_state(server, token, matches)
        told = touchline("db", "repairs", "--database-url", pitch.database_url)

    events_before = [e for events in before.values() for e in events]
    events_after = [e for events in after.values() for e in events]
    ids_after = [e["id"] for e in events_after]
    lost = {e["id"] for e in events_before} - set(ids_after)
    duplicated = len(ids_after) - len(set(ids_after))
    print(
        f"\ncampaign seed={SEED} db={kind}: devices={DEVICES} matches={MATCHES} "
        f"events={early['events'] + late['events']} edits={early['edits'] + late['edits']} "
        f"deletes={early['deletes'] + late['deletes']} restores=1 "
        f"lost={len(lost)} duplicated={duplicated}; {told.stdout.strip()}"
    )
    assert (len(lost), duplicated) == (0, 0), f"seed {SEED}"
    for match_id in matches:
        assert live(after[match_id]) == live(before[match_id]), (f"seed {SEED}", match_id)
        deleted = {e["id"] for e in after[match_id] if e["deleted"]}
        assert deleted == {e["id"] for e in before[match_id] if e["deleted"]}, f"seed {SEED}"
        for device in devices:
            held = {e["id"]: from_replica(e) for e in device.client.events(match_id)}
            assert held == live(after[match_id]), (f"seed {SEED}", match_id)
    assert told.returncode == 0, told.stderr
    assert int(told.stdout.split()[0]) > 0, "the restore took nothing away: no campaign"
    for device in devices:
        device.client.close()
