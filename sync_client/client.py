"""A reference /sync client: queue offline, sync in one round trip, keep a local replica.

It uses the standard library only (urllib for HTTP, sqlite3 for the durable store in
:mod:`sync_client.outbox`), so it runs anywhere Python does, and it follows SPEC.md:

- :meth:`SyncClient.queue` (and the command helpers) write the mutation to the outbox
  and commit before returning; nothing else is needed to be sure it is never lost.
- :meth:`SyncClient.sync` pushes the oldest queued mutations, pulls from the cursor,
  applies the response to the replica atomically, drops what the server acknowledged,
  and keeps going while the server says ``has_more`` or the outbox is not empty, up to
  ``max_round_trips``.
- Network errors, 5xx and 429 are retried with exponential backoff and jitter (honouring
  ``Retry-After``) up to ``retries`` times, then :class:`ServerUnavailable` is raised;
  nothing is lost and the next :meth:`~SyncClient.sync` carries on. A request retried
  after a lost response is safe: the server acknowledges already-applied ids again.
- Rejected and conflicting mutations are dropped from the outbox like applied ones (the
  server has moved past them) and kept in :meth:`~SyncClient.problems` for the screen.

A new :class:`SyncClient` on the same file carries on where the last one stopped.
"""

from __future__ import annotations

import json
import os
import random
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from typing import Any

from sync_client.outbox import EVENT_DEFAULTS, LocalStore, Problem, Queued, now_iso
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.match import EventKind, Score, Side, score
from sync_protocol.repair_order import MAX_REPAIR_RECORDS, repair_order

__all__ = [
    "ProtocolTooNew",
    "ServerUnavailable",
    "SyncClient",
    "SyncError",
    "SyncRefused",
    "SyncReport",
    "uuid7",
]

RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
KINDS = frozenset(kind.value for kind in EventKind)


def uuid7() -> uuid.UUID:
    """A time-ordered UUID (RFC 9562 version 7): 48 bits of Unix milliseconds, then random."""
    millis = time.time_ns() // 1_000_000 & (2**48 - 1)
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a, rand_b = rand >> 68 & 0xFFF, rand & (2**62 - 1)
    return uuid.UUID(int=millis << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b)


class SyncError(Exception):
    """Base of what :meth:`SyncClient.sync` raises; the outbox is untouched by any of them."""


class ServerUnavailable(SyncError):
    """The server could not be reached (or kept answering 5xx) after every retry."""


class SyncRefused(SyncError):
    """The server refused the request with a 4xx that retrying cannot fix."""

    def __init__(self, status: int, code: str, message: str, field: str | None):
        super().__init__(f"{status} {code}: {message}" + (f" ({field})" if field else ""))
        self.status, self.code, self.message, self.field = status, code, message, field


class ProtocolTooNew(SyncRefused):
    """The server speaks an older protocol than this client; update the server."""


@dataclass
class SyncReport:
    """What one :meth:`SyncClient.sync` did."""

    round_trips: int = 0
    applied: int = 0
    """Mutations the server acknowledged as applied (a replayed acknowledgement included)."""
    problems: list[Problem] = field(default_factory=list)
    """Rejections and conflicts reported during this sync (also kept in ``problems()``)."""
    changes: int = 0
    resets: list[str] = field(default_factory=list)
    gaps: int = 0
    repairs: int = 0
    """Repair steps run: the server had gone back in time (SPEC.md, "Repair")."""
    restored: int = 0
    """Records the server restored from this device's repairs."""
    idle: bool = False
    """True when the outbox is empty and the server had nothing more to send."""

    def merge(self, other: SyncReport) -> None:
        self.round_trips += other.round_trips
        self.applied += other.applied
        self.problems += other.problems
        self.changes += other.changes
        self.resets += other.resets
        self.gaps += other.gaps
        self.repairs += other.repairs
        self.restored += other.restored
        self.idle = other.idle


class SyncClient:
    """One device's client. ``token`` and ``device_id`` are remembered in the file, so
    later clients on the same file may omit them; passing them replaces the stored ones.

    ``sleep`` and ``rng`` drive the backoff; a test may pass its own.
    """

    def __init__(
        self,
        path: str | Path,
        base_url: str,
        token: str | None = None,
        device_id: str | uuid.UUID | None = None,
        *,
        push_limit: int = 100,
        max_changes: int = 500,
        max_round_trips: int = 20,
        retries: int = 6,
        backoff_base: float = 0.2,
        backoff_cap: float = 10.0,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("base_url must be an http:// or https:// URL")
        self.store = LocalStore(path)
        self.base_url = base_url.rstrip("/")
        if token is not None:
            self.store.put("token", token)
        if device_id is not None:
            self.store.put("device_id", str(device_id))
        if self.store.get("token") is None or self.store.get("device_id") is None:
            raise ValueError("a new local store needs a device token and device id")
        self.push_limit = push_limit
        self.max_changes = max_changes
        self.max_round_trips = max_round_trips
        self.retries = retries
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.timeout = timeout
        self._sleep = sleep
        self._rng = rng or random.Random()  # noqa: S311 (jitter, not a secret)

    def close(self) -> None:
        self.store.close()

    @property
    def device_id(self) -> str:
        value = self.store.get("device_id")
        assert value is not None
        return value

    @property
    def cursor(self) -> str | None:
        return self.store.get("cursor")

    # --- queueing (works offline) -------------------------------------------------------

    def queue(self, name: str, args: Mapping[str, Any]) -> int:
        """Queue a mutation and return its id; it is on disk when this returns."""
        return self.store.queue(name, _jsonable(args))

    def add_event(
        self,
        match_id: str | uuid.UUID,
        kind: str | EventKind,
        *,
        period: int,
        minute: int,
        side: str | Side = Side.TEAM,
        stoppage: int = 0,
        player_id: str | uuid.UUID | None = None,
        replaced_player_id: str | uuid.UUID | None = None,
        note: str | None = None,
        recorded_at: str | None = None,
        event_id: str | uuid.UUID | None = None,
        assist_player_id: str | uuid.UUID | None = None,
    ) -> str:
        """Queue ``add_event`` and return the new event's id (a UUIDv7 made here).

        ``assist_player_id`` (a goal's provider) is sent only when given, so the client
        still speaks to a server from before assists."""
        event_id = str(event_id or uuid7())
        assist = {} if assist_player_id is None else {"assist_player_id": assist_player_id}
        self.queue(
            "add_event",
            {
                "id": event_id,
                "match_id": match_id,
                "kind": kind,
                "side": side,
                "period": period,
                "minute": minute,
                "stoppage": stoppage,
                "player_id": player_id,
                "replaced_player_id": replaced_player_id,
                "note": note,
                "recorded_at": recorded_at or now_iso(),
            }
            | assist,
        )
        return event_id

    def edit_event(self, event_id: str | uuid.UUID, **changes: Any) -> int:
        """Queue ``edit_event``: the named fields change, a None value clears one."""
        return self.queue("edit_event", {"event_id": event_id, "changes": changes})

    def delete_event(self, event_id: str | uuid.UUID) -> int:
        return self.queue("delete_event", {"event_id": event_id})

    def create_match(
        self, team_id: str | uuid.UUID, opponent: str, kickoff_at: str, **fields: Any
    ) -> str:
        """Queue ``create_match`` and return the new match's id."""
        match_id = str(uuid7())
        self.queue(
            "create_match",
            {"id": match_id, "team_id": team_id, "opponent": opponent, "kickoff_at": kickoff_at}
            | fields,
        )
        return match_id

    def set_lineup(self, match_id: str | uuid.UUID, players: Sequence[Mapping[str, Any]]) -> int:
        return self.queue("set_lineup", {"match_id": match_id, "players": list(players)})

    def add_player(self, team_id: str | uuid.UUID, display_name: str, **fields: Any) -> str:
        """Queue ``add_player`` and return the new player's id."""
        player_id = str(uuid7())
        self.queue(
            "add_player",
            {"id": player_id, "team_id": team_id, "display_name": display_name} | fields,
        )
        return player_id

    # --- syncing ------------------------------------------------------------------------

    def sync(self, *, pull: bool = True) -> SyncReport:
        """Push and pull until idle or ``max_round_trips``; see the module docstring.
        With ``pull=False`` it pushes only.

        When a response says the server went back in time, the device first gives back
        what it holds (:meth:`repair`) and then pulls from scratch.

        Raises :class:`ServerUnavailable` when the server stays unreachable,
        :class:`ProtocolTooNew` or :class:`SyncRefused` for a refusal retrying cannot fix.
        Whatever was absorbed before an exception stays absorbed.
        """
        report = SyncReport()
        if self.store.get("repairing"):
            self.repair(report)  # one that a crash or an outage cut short
        wipe = False
        for _ in range(self.max_round_trips):
            batch = self.store.pending(self.push_limit)
            cursor = self.cursor
            try:
                response = self._post(
                    "/sync",
                    {
                        "protocol": PROTOCOL_VERSION,
                        "device_id": self.device_id,
                        "cursor": cursor,
                        "mutations": [m.wire() for m in batch],
                        "max_changes": self.max_changes,
                        "pull": pull,
                    },
                )
            except SyncRefused as refused:
                if refused.code != "invalid_cursor" or cursor is None:
                    raise
                # Nothing was pushed. Pull from scratch, and since a pull from scratch
                # carries no tombstones, the replica is rebuilt rather than patched.
                self.store.put("cursor", None)
                report.resets.append("invalid_cursor")
                wipe = True
                continue
            report.round_trips += 1
            went_back = self._went_back(response)
            done = self._absorb(response, batch, wipe, report, repairing=went_back)
            wipe = False
            if went_back:
                self.repair(report)
                continue
            if done:
                report.idle = True
                break
        return report

    def _went_back(self, response: Mapping[str, Any]) -> bool:
        """Whether the server's database went back in time since this device last heard
        from it: a reset saying so, or a lower ``last_mutation_id`` than it was told."""
        reset = (response.get("reset") or {}).get("reason")
        if reset in ("generation_changed", "cursor_ahead"):
            return True
        told = int(self.store.get("acknowledged_id") or 0)
        return reset != "unknown_device" and int(response["last_mutation_id"]) < told

    def repair(self, report: SyncReport | None = None) -> int:
        """Give the server every record this device holds (SPEC.md, "Repair"), in
        batches, then forget the pulled state so the next sync pulls from scratch.
        Returns how many records the server restored.

        Until every batch is answered the pulled state is kept and the store remembers
        that a repair is due, so an outage in the middle repeats it on the next sync."""
        report = report if report is not None else SyncReport()
        self.store.put("repairing", "1")
        records = sorted(self.store.held_records(), key=repair_order)
        restored = 0
        for start in range(0, len(records), MAX_REPAIR_RECORDS):
            body = {
                "protocol": PROTOCOL_VERSION,
                "device_id": self.device_id,
                "records": records[start : start + MAX_REPAIR_RECORDS],
            }
            try:
                answer = self._post("/sync/repair", body)
            except SyncRefused as refused:
                if refused.status != 404:
                    raise
                break  # a server from before the repair step: nothing can be given back
            restored += int(answer["restored"])
        self.store.forget_pulled_state()
        report.repairs += 1
        report.restored += restored
        return restored

    def sync_until_idle(self, max_syncs: int = 10) -> SyncReport:
        """:meth:`sync` again while it stops short of idle, at most ``max_syncs`` times."""
        total = SyncReport()
        for _ in range(max_syncs):
            total.merge(self.sync())
            if total.idle:
                break
        return total

    def _absorb(
        self,
        response: Mapping[str, Any],
        batch: Sequence[Queued],
        wipe: bool,
        report: SyncReport,
        *,
        repairing: bool = False,
    ) -> bool:
        """Take one response in; True when nothing is left to push or pull.

        With ``repairing`` only its push part: the pulled state and cursor stay as they
        are for the repair step, and the page is not applied."""
        reset = (response.get("reset") or {}).get("reason")
        if reset is not None:
            report.resets.append(reset)
        # On unknown_device the server pushed nothing: our ids were counted for another
        # device id, so nothing is dropped and the queue continues the server's counter
        # for the id it named, in the same order, in the same transaction as the rest.
        problems = self.store.absorb(
            sent=[] if reset == "unknown_device" else batch,
            device_id=str(response["device_id"]),
            last_mutation_id=int(response["last_mutation_id"]),
            results=response["results"],
            changes=[] if repairing else response["changes"],
            cursor=self.cursor if repairing else response["cursor"],
            wipe=not repairing and (wipe or reset is not None),
            unknown_device=reset == "unknown_device",
        )
        report.applied += sum(1 for r in response["results"] if r["verdict"] == "applied")
        report.problems += problems
        report.changes += 0 if repairing else len(response["changes"])
        waiting = self.store.pending(1)
        gap = response.get("gap")
        if gap is not None:
            report.gaps += 1
            if waiting and waiting[0].id > gap["expected"]:
                # The server's counter is behind ours (a new device id, a restored
                # server): continue from the id it expects, order kept.
                self.store.renumber(int(gap["expected"]))
        return not response["has_more"] and not waiting

    def _post(self, path: str, body: Mapping[str, Any]) -> dict[str, Any]:
        data = json.dumps(body, separators=(",", ":")).encode()
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json",
            "Authorization": f"Bearer {self.store.get('token')}",
        }
        attempt = 0
        while True:
            retry_after: float | None = None
            request = urllib.request.Request(  # noqa: S310 (the scheme is checked at start)
                self.base_url + path, data=data, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                    parsed: dict[str, Any] = json.loads(answer.read())
                    return parsed
            except urllib.error.HTTPError as error:
                if error.code not in RETRYABLE_STATUSES:
                    raise _refusal(error) from None
                retry_after = _seconds(error.headers.get("Retry-After"))
                error.close()  # its connection; the status and headers stay readable
                failure: Exception = error
            except (urllib.error.URLError, OSError, HTTPException, ValueError) as error:
                # Refused or reset connections, timeouts, a body cut short: the request
                # may or may not have been applied; resending it is safe either way.
                failure = error
            attempt += 1
            if attempt > self.retries:
                raise ServerUnavailable(
                    f"{self.base_url} unreachable after {attempt} attempts: {failure}"
                ) from failure
            self._sleep(self._delay(attempt, retry_after))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff with "equal jitter", never sooner than Retry-After asks."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2.0 ** (attempt - 1))
        delay = ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.backoff_cap))
        return delay

    # --- the local view -----------------------------------------------------------------

    def events(
        self, match_id: str | uuid.UUID, *, include_pending: bool = True
    ) -> list[dict[str, Any]]:
        """The match's live events as this device shows them: the pulled replica, then the
        queued (not yet acknowledged) adds, edits and deletes applied on top."""
        match_id = str(match_id)
        events = {e["id"]: e for e in self.store.replica_events(match_id)}
        if include_pending:
            for mutation in self.store.pending():
                args = mutation.args
                if mutation.name == "add_event" and args.get("match_id") == match_id:
                    events.setdefault(args["id"], _pending_event(args))
                elif mutation.name == "edit_event" and args.get("event_id") in events:
                    events[args["event_id"]] = events[args["event_id"]] | args.get("changes", {})
                elif mutation.name == "delete_event":
                    events.pop(args.get("event_id"), None)
        return list(events.values())

    def score(self, match_id: str | uuid.UUID, *, include_pending: bool = True) -> Score:
        return score(
            (EventKind(e["kind"]), Side(e["side"]))
            for e in self.events(match_id, include_pending=include_pending)
            if e["kind"] in KINDS
        )

    def match(self, match_id: str | uuid.UUID) -> dict[str, Any] | None:
        """The match as last pulled (status, period, ...), or None if not seen."""
        return self.store.record("matches", str(match_id))

    def matches(self) -> list[dict[str, Any]]:
        return self.store.records("matches")

    def teams(self) -> list[dict[str, Any]]:
        return self.store.records("teams")

    def players(self) -> list[dict[str, Any]]:
        return self.store.records("players")

    def lineup(self, match_id: str | uuid.UUID) -> dict[str, Any] | None:
        return self.store.record("lineups", str(match_id))

    def pending(self) -> list[Queued]:
        """Queued mutations the server has not acknowledged yet, oldest first."""
        return self.store.pending()

    def problems(self) -> list[Problem]:
        """Mutations the server rejected or overruled, until :meth:`dismiss`."""
        return self.store.problems()

    def dismiss(self, mutation_id: int) -> None:
        self.store.dismiss(mutation_id)


def _pending_event(args: Mapping[str, Any]) -> dict[str, Any]:
    return EVENT_DEFAULTS | dict(args)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):  # StrEnum members included
        return str(value)
    return value


def _seconds(header: str | None) -> float | None:
    try:
        return max(float(header), 0.0) if header is not None else None
    except ValueError:
        return None  # an HTTP-date; the backoff alone will do


def _refusal(error: urllib.error.HTTPError) -> SyncRefused:
    try:
        detail = json.loads(error.read()).get("error") or {}
    except (ValueError, AttributeError, OSError):
        detail = {}
    code = str(detail.get("code", f"http_{error.code}"))
    kind = ProtocolTooNew if code == "protocol_too_new" else SyncRefused
    return kind(error.code, code, str(detail.get("message", error.reason)), detail.get("field"))
