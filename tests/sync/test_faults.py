"""The fault campaign's second half: the database fails while twenty phones (reference
clients) push in grouped commits, and nothing is lost, doubled or half-written.

On PostgreSQL, a server of the test's own (so that no other test is disturbed) and two
``touchline serve`` instances on it whose writer groups pushes (``TOUCHLINE_GROUP_AT_LEAST``:
each instance's first group of pushes holds that many phones):

- a connection killed mid-transaction: a group of phones' pushes waits on a lock the test
  holds, and its backend is terminated (``pg_terminate_backend``);
- PostgreSQL restarting mid-push: the same, then ``pg_ctl stop --mode immediate``; phones
  sync while it is down, then it starts again and recovers.

On SQLite:

- the write lock held by another process (a tool copying the file under a lock) for
  longer than the server's busy timeout, while a group of phones pushes;
- ``touchline db backup`` taken again and again while phones push, which never blocks them.

A phone that meets a fault is answered 503 with a ``Retry-After`` and keeps its outbox;
before it syncs again none of what it sent is on the server, and its next sync finishes
the job. At the end the server holds every event a phone logged, once, with its edits, and
every phone holds exactly the server's state. Seeded (``TOUCHLINE_CAMPAIGN_SEED``).
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack, closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from backend.live.listener import libpq_url
from sync_client.client import ServerUnavailable, SyncClient
from tests.databases import PrivateCluster, fresh_database, private_postgres
from tests.e2e.server import Server, running_server, touchline
from tests.sync.clubs import coach, from_replica, live, match, phone, server_events, team

pytestmark = pytest.mark.e2e
SEED = int(os.environ.get("TOUCHLINE_CAMPAIGN_SEED", "19"))
DEVICES, COACHES, MATCHES = 20, 4, 5
GROUP = 6
"""Phones in the group commit a fault lands in."""
WAVE = 8
"""Phones syncing at once in a round of play."""
KINDS = ("goal", "save", "tackle", "foul", "corner", "shot_on_target", "interception")
BACKUPS = 3
WAIT_SECONDS = 60.0

Answer = tuple[int | str, str | None]
"""How a phone's sync ended: 200, or the status (or error) that stopped it, and the
``Retry-After`` it came with."""


@dataclass
class Phone:
    """A phone's local store and the server instance it reaches. A reference client is
    opened on the store by whichever thread uses it (a client is bound to its thread)."""

    store: Path
    base_url: str

    @contextmanager
    def client(self) -> Iterator[SyncClient]:
        """The phone's client; a failed sync is answered at once (no retries), so that the
        test sees every fault's status."""
        client = SyncClient(self.store, self.base_url, retries=0)
        try:
            yield client
        finally:
            client.close()


@dataclass
class Fleet:
    """The phones, and what they logged: the truth the server must end up holding."""

    phones: list[Phone]
    matches: list[str]
    rng: random.Random
    minutes: dict[str, int] = field(default_factory=dict)
    """Every event logged and not deleted, with its minute as last edited."""
    deleted: set[str] = field(default_factory=set)
    owned: dict[int, list[str]] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)

    def log(self, number: int, rng: random.Random | None = None) -> None:
        """Phone ``number`` logs two to four taps offline, sometimes editing or deleting
        one of its own events."""
        rng = rng or self.rng
        with self.phones[number].client() as client:
            self._taps(client, self.owned.setdefault(number, []), rng)

    def _taps(self, client: SyncClient, own: list[str], rng: random.Random) -> None:
        match_id = rng.choice(self.matches)
        for _ in range(rng.randint(2, 4)):
            minute = rng.randint(1, 40)
            own.append(client.add_event(match_id, rng.choice(KINDS), period=1, minute=minute))
            self.minutes[own[-1]] = minute
            self.counts["events"] += 1
        if rng.random() < 0.4:
            edited, minute = rng.choice(own), rng.randint(41, 45)
            client.edit_event(edited, minute=minute)
            self.minutes[edited] = minute
            self.counts["edits"] += 1
        if rng.random() < 0.2:
            gone = own.pop(rng.randrange(len(own)))
            client.delete_event(gone)
            del self.minutes[gone]
            self.deleted.add(gone)
            self.counts["deletes"] += 1

    def play(self, rounds: int, rng: random.Random | None = None) -> list[Answer]:
        """Rounds of play: a few phones log, then sync all at once."""
        rng = rng or self.rng
        answers: list[Answer] = []
        for _ in range(rounds):
            numbers = rng.sample(range(DEVICES), WAVE)
            for number in numbers:
                self.log(number, rng)
            answers += wave([self.phones[n] for n in numbers])
        return answers


def sync_once(phone: Phone) -> Answer:
    try:
        with phone.client() as client:
            client.sync()
    except ServerUnavailable as unavailable:
        cause = unavailable.__cause__
        if isinstance(cause, urllib.error.HTTPError):
            return cause.code, cause.headers.get("Retry-After")
        return type(cause).__name__, None
    return 200, None


def wave(phones: Sequence[Phone]) -> list[Answer]:
    """Each phone syncs once, all at the same time."""
    with ThreadPoolExecutor(len(phones)) as pool:
        return list(pool.map(sync_once, phones))


@contextmanager
def waving(phones: Sequence[Phone]) -> Iterator[Future[list[Answer]]]:
    """A :func:`wave` in the background while the block runs; waited for at its end."""
    with ThreadPoolExecutor(1) as pool:
        answers = pool.submit(wave, phones)
        yield answers
        answers.result(timeout=WAIT_SECONDS)


def _fleet(server: Server, tmp_path: Path, rng: random.Random) -> Fleet:
    """A club: four coaches sharing a team, twenty phones, five matches kicked off. Each
    phone has synced once: it holds the team and its matches."""
    logins = [coach(server, f"coach{n}@example.org") for n in range(COACHES)]
    first = phone(server, logins[0], "phone 0")
    team_id = team(server, first.token, "Reds U10", coaches=logins[1:])
    matches = [
        match(server, first.token, team_id, f"Opponent {n}", kicked_off=True)
        for n in range(MATCHES)
    ]
    devices = [first] + [
        phone(server, logins[n % COACHES], f"phone {n}") for n in range(1, DEVICES)
    ]
    phones = [Phone(tmp_path / f"phone{n}.db", server.base_url) for n in range(DEVICES)]
    for device, store in zip(devices, phones, strict=True):
        SyncClient(store.store, server.base_url, device.token, device.device_id).close()
    assert set(wave(phones)) == {(200, None)}
    return Fleet(phones, matches, rng)


def _token(fleet: Fleet) -> str:
    """A device token of the team's, to read the server's view with."""
    with fleet.phones[0].client() as client:
        token = client.store.get("token")
    assert token is not None
    return token


def _server_ids(server: Server, fleet: Fleet) -> list[str]:
    token = _token(fleet)
    return [
        e["id"]
        for match_id in fleet.matches
        for e in server_events(server, token, match_id)
        if e["kind"] != "kick_off"
    ]


def _refused(answers: list[Answer]) -> int:
    """How many phones were refused; each refusal must be a 503 with a Retry-After."""
    refusals = [answer for answer in answers if answer != (200, None)]
    assert all(status == 503 and int(after or 0) >= 1 for status, after in refusals), answers
    return len(refusals)


def _nothing_half_written(server: Server, fleet: Fleet, refused: Sequence[Phone]) -> None:
    """A refused phone still queues every mutation it sent, and neither its events nor its
    mutation counter moved on the server."""
    held = set(_server_ids(server, fleet))
    for refused_phone in refused:
        with refused_phone.client() as client:
            queued = client.pending()
            token, device_id = client.store.get("token"), client.device_id
        assert queued, "a refused phone has nothing left to send"
        sent = {m.args["id"] for m in queued if m.name == "add_event"}
        assert not sent & held, "a refused push left events behind"
        status = server.request("GET", f"/api/devices/{device_id}/sync", token=token)
        assert status.body["last_mutation_id"] < queued[0].id


def _fault(
    server: Server,
    fleet: Fleet,
    numbers: Sequence[int],
    inject: Callable[[Future[list[Answer]]], None],
) -> int:
    """Phones ``numbers`` log, then push at once into a group commit while ``inject``
    strikes; each phone refused is checked and syncs again. Returns how many were refused."""
    phones = [fleet.phones[n] for n in numbers]
    for number in numbers:
        fleet.log(number)
    with waving(phones) as answers:
        inject(answers)
    outcome = answers.result()
    refused = [p for p, answer in zip(phones, outcome, strict=True) if answer[0] != 200]
    count = _refused(outcome)
    # Each fault lands on one group commit that holds every one of these phones' pushes.
    assert count == len(numbers), outcome
    _nothing_half_written(server, fleet, refused)
    assert set(wave(refused or phones)) == {(200, None)}, "the next sync did not finish the job"
    return count


def _until(condition: Callable[[], object], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"waited {WAIT_SECONDS} s for {what}"
        time.sleep(0.02)


# --- PostgreSQL ----------------------------------------------------------------------------


@contextmanager
def _events_locked(cluster: PrivateCluster) -> Iterator[Callable[[], list[int]]]:
    """The events table locked against writers by a connection of the test's: a group's
    transaction stops, in flight, at its first event. Yields a function that answers the
    server backends waiting on the lock; the lock goes when the block ends."""
    url = libpq_url(cluster.url)
    with (
        closing(psycopg.connect(url)) as holder,
        closing(psycopg.connect(url, autocommit=True)) as watcher,
    ):
        holder.execute("LOCK TABLE grassroots.events IN SHARE MODE")

        def waiting() -> list[int]:
            return [
                pid
                for (pid,) in watcher.execute(
                    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND pid <> %s",
                    (holder.info.backend_pid,),
                )
            ]

        yield waiting


def _kill_connection(cluster: PrivateCluster) -> Callable[[Future[list[Answer]]], None]:
    def inject(_answers: Future[list[Answer]]) -> None:
        with _events_locked(cluster) as waiting:
            _until(waiting, "a group commit to wait on the lock")
            with closing(psycopg.connect(libpq_url(cluster.url), autocommit=True)) as admin:
                for pid in waiting():
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))

    return inject


def _restart(cluster: PrivateCluster, fleet: Fleet, down: list[Answer]) -> Callable[..., None]:
    def inject(answers: Future[list[Answer]]) -> None:
        try:
            with _events_locked(cluster) as waiting:
                _until(waiting, "a group commit to wait on the lock")
                cluster.stop("immediate")
        except psycopg.OperationalError:
            pass  # the lock's connection went down with the server
        _until(answers.done, "the phones pushing when PostgreSQL stopped to be answered")
        down.extend(wave(fleet.phones[:2]))  # while it is down
        cluster.start()

    return inject


def _postgresql_faults(
    tmp_path: Path, rng: random.Random
) -> tuple[Fleet, dict[str, str], tuple[int, int]]:
    with private_postgres(tmp_path) as cluster:
        assert touchline("db", "upgrade", "--database-url", cluster.url).returncode == 0
        grouped = {"TOUCHLINE_GROUP_AT_LEAST": str(GROUP)}
        with ExitStack() as servers:
            first, second = (
                servers.enter_context(
                    running_server(cluster.url, tmp_path / f"server-{n}.log", env=grouped)
                )
                for n in (1, 2)
            )
            fleet = _fleet(first, tmp_path, rng)
            pushers = rng.sample(range(DEVICES), GROUP)
            killed = _fault(first, fleet, pushers, _kill_connection(cluster))
            faults = {"connection killed mid-transaction": f"{killed} of {GROUP} phones 503"}
            assert _refused(fleet.play(3)) == 0
            # The second instance takes its first pushes (a group of GROUP) as the
            # database goes down.
            pushers = rng.sample(range(DEVICES), GROUP)
            for number in pushers:
                fleet.phones[number].base_url = second.base_url
            down: list[Answer] = []
            restarted = _fault(second, fleet, pushers, _restart(cluster, fleet, down))
            faults["restart mid-push"] = f"{restarted} of {GROUP} phones 503"
            assert _refused(down) == len(down)
            faults["syncs while down"] = f"{len(down)} of {len(down)} phones 503"
            assert _refused(fleet.play(3)) == 0
            return fleet, faults, _settle(first, fleet)


# --- SQLite --------------------------------------------------------------------------------


def _lock_sqlite(database: Path) -> Callable[[Future[list[Answer]]], None]:
    def inject(answers: Future[list[Answer]]) -> None:
        with closing(sqlite3.connect(database, isolation_level=None)) as holder:
            holder.execute("BEGIN IMMEDIATE")
            _until(answers.done, "the phones pushing into the locked database to be answered")
            holder.execute("ROLLBACK")

    return inject


def _backups_while_playing(fleet: Fleet, database_url: str, tmp_path: Path) -> int:
    """``touchline db backup``, three times, while rounds of play go on from before the
    first to after the last; every phone's sync must succeed. Returns the backups taken.

    The rounds draw from a random source of their own: how many there are depends on how
    long the backups take, and the rest of the campaign stays as seeded."""
    answers: list[Answer] = []
    rounds: list[int] = []
    stop = threading.Event()
    rng = random.Random(f"{SEED}-backups")

    def play() -> None:
        while not stop.is_set():
            answers.extend(fleet.play(1, rng))
            rounds.append(len(rounds))

    with ThreadPoolExecutor(1) as pool:
        playing = pool.submit(play)
        try:
            _until(lambda: rounds or playing.done(), "a round of play")
            started = len(rounds)
            for _ in range(BACKUPS):
                taken = touchline("db", "backup", str(tmp_path / "b.db"), "--force",
                                  "--database-url", database_url)  # fmt: skip
                assert taken.returncode == 0, taken.stderr
            during = len(rounds) - started
        finally:
            stop.set()
        playing.result()
    assert during > 0, "no round of play ran while the backups were taken"
    assert _refused(answers) == 0
    return BACKUPS


def _sqlite_faults(
    tmp_path: Path, rng: random.Random
) -> tuple[Fleet, dict[str, str], tuple[int, int]]:
    with fresh_database("sqlite", tmp_path) as url:
        assert touchline("db", "upgrade", "--database-url", url).returncode == 0
        grouped = {"TOUCHLINE_GROUP_AT_LEAST": str(GROUP)}
        with running_server(url, tmp_path / "server.log", env=grouped) as server:
            fleet = _fleet(server, tmp_path, rng)
            pushers = rng.sample(range(DEVICES), GROUP)
            database = Path(make_url(url).database or "")
            locked = _fault(server, fleet, pushers, _lock_sqlite(database))
            faults = {"write lock held elsewhere": f"{locked} of {GROUP} phones 503"}
            backups = _backups_while_playing(fleet, url, tmp_path)
            faults["backups while syncing"] = f"{backups} backups, 0 phones refused"
            assert _refused(fleet.play(2)) == 0
            return fleet, faults, _settle(server, fleet)


# --- the campaign --------------------------------------------------------------------------


def _settle(server: Server, fleet: Fleet) -> tuple[int, int]:
    """Every phone syncs until idle; then the server must hold what the phones logged and
    every phone the server's state. Answers (lost, duplicated)."""
    for each in fleet.phones:
        each.base_url = server.base_url
        with each.client() as client:
            client.sync_until_idle()
    token = _token(fleet)
    held = {match_id: server_events(server, token, match_id) for match_id in fleet.matches}
    events = [e for match_id in fleet.matches for e in held[match_id] if e["kind"] != "kick_off"]
    ids = [e["id"] for e in events]
    lost = set(fleet.minutes) - {e["id"] for e in events if not e["deleted"]}
    duplicated = len(ids) - len(set(ids))
    if (len(lost), duplicated) == (0, 0):
        assert {e["id"]: e["minute"] for e in events if not e["deleted"]} == fleet.minutes
        assert {e["id"] for e in events if e["deleted"]} == fleet.deleted
        for each in fleet.phones:
            with each.client() as client:
                for match_id in fleet.matches:
                    by_phone = {e["id"]: from_replica(e) for e in client.events(match_id)}
                    assert by_phone == live(held[match_id]), (f"seed {SEED}", match_id)
    return len(lost), duplicated


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_database_faults_in_grouped_commits_lose_and_double_nothing(
    kind: str, tmp_path: Path
) -> None:
    rng = random.Random(f"{SEED}-faults-{kind}")
    campaign = _sqlite_faults if kind == "sqlite" else _postgresql_faults
    fleet, faults, (lost, duplicated) = campaign(tmp_path, rng)
    injected = "; ".join(f"{fault}: {outcome}" for fault, outcome in faults.items())
    print(
        f"\nfault campaign seed={SEED} db={kind}: devices={DEVICES} matches={MATCHES} "
        f"events={fleet.counts['events']} edits={fleet.counts['edits']} "
        f"deletes={fleet.counts['deletes']} faults={len(faults)} ({injected}) "
        f"lost={lost} duplicated={duplicated}"
    )
    assert (lost, duplicated) == (0, 0), f"seed {SEED}"
