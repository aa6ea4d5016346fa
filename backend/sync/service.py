"""One sync: push the device's mutations (one transaction), then pull (one snapshot).

Push and pull are separate transactions on purpose. The push commits before anything is
read for the pull, so a mutation acknowledged in the response is durable; the pull then
reads every space from one snapshot (REPEATABLE READ on PostgreSQL, a WAL read
transaction on SQLite), so the positions it hands out never pass a change it did not send.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import ValidationError
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import Session

from backend.accounts.auth import Principal, stamp_seen
from backend.db import changes
from backend.db.engine import Database
from backend.db.models import (
    Device,
    Match,
    Membership,
    MutationOutcome,
    ServerMeta,
    Team,
    utcnow,
)
from backend.errors import Conflict, Forbidden, Invalid, NotFound, TouchlineError
from backend.matches.service import MatchWriter
from backend.metrics import Metrics
from backend.sync.cursors import CursorCodec, Position
from backend.sync.mutations import HANDLERS, Command, Turn
from backend.teams import service as teams
from sync_protocol import PROTOCOL_VERSION
from sync_protocol.counter import BatchPlan, Step, plan_batch
from sync_protocol.encoders import Form
from sync_protocol.messages import (
    Mutation,
    ResetReason,
    SyncRequest,
    Verdict,
)
from sync_protocol.paging import SpaceChanges, cut_page
from sync_protocol.responses import join_response
from sync_protocol.verdicts import (
    choose_reset,
    refusal,
    repeat_answer,
    replayed_answer,
    reset_answer,
    verdict_for,
)

MAX_PULL_BYTES = 2_560 * 1024  # 2.5 MiB: a full page of MAX_CHANGES typical records fits


@dataclass
class PushOutcome:
    results: list[dict[str, Any]]
    last_mutation_id: int
    gap: int | None


@dataclass
class PullOutcome:
    changes: list[str]
    """The page, each change already serialised."""
    position: Position
    has_more: bool
    reset: ResetReason | None
    behind: int


def refuse_newer_protocol(protocol: int) -> None:
    """409 ``protocol_too_new`` for a request in a protocol newer than this server's: the
    client keeps its outbox and tells the user the server needs updating."""
    if protocol > PROTOCOL_VERSION:
        raise Conflict(
            f"this server speaks sync protocol {PROTOCOL_VERSION}; version {protocol} is newer",
            field="protocol",
            code="protocol_too_new",
        )


def sync(
    db: Database,
    codec: CursorCodec,
    principal: Principal,
    request: SyncRequest,
    metrics: Metrics | None = None,
) -> bytes:
    """Run one sync and return the response body (UTF-8 JSON, see SyncResponse)."""
    assert principal.device_id is not None
    refuse_newer_protocol(request.protocol)
    position = codec.decode(request.cursor) if request.cursor is not None else None
    form = Form.for_protocol(request.protocol)
    own_device = request.device_id == principal.device_id

    if not own_device:
        # The mutation ids belong to another device's counter: applying them could skip
        # or duplicate. Push nothing; tell the device who it is and let it renumber.
        stamp_seen(db, principal)
        pushed = _pull_only(db, principal.device_id, None)
    elif not request.mutations:
        stamp_seen(db, principal)
        pushed = _pull_only(db, principal.device_id, position)
    else:  # the push writes the device's last-seen stamp, if due, with its counter
        pushed = _push_batch(db, principal, request.mutations, position, form, metrics)

    members: dict[str, Any] = {
        "protocol": PROTOCOL_VERSION,
        "device_id": str(principal.device_id),
        "last_mutation_id": pushed.last_mutation_id,
        "results": pushed.results,
        "gap": {"expected": pushed.gap} if pushed.gap is not None else None,
        "reset": None,
        "cursor": request.cursor,
        "has_more": False,
    }
    page: list[str] = []
    if request.pull or not own_device:
        pulled = _pull_page(db, principal.account_id, position, own_device, request, form)
        if metrics is not None:
            metrics.sync_behind.observe(pulled.behind)
        page = pulled.changes
        members |= {
            "reset": reset_answer(pulled.reset),
            "cursor": codec.encode(pulled.position),
            "has_more": pulled.has_more,
        }
        del pulled
    members["server_time"] = changes.iso(utcnow())
    return join_response(members, page)


def _push_batch(
    db: Database,
    principal: Principal,
    mutations: Sequence[Mutation],
    acknowledged: Position | None,
    form: Form,
    metrics: Metrics | None,
) -> PushOutcome:
    # Parsed before the write transaction opens: on SQLite it holds the write lock.
    commands = [_parse(mutation) for mutation in mutations]
    # Applied in the writer's next group, in a savepoint of its own; answered once the
    # group's transaction has committed (see backend/db/group.py, crash points included).
    pushed = db.grouped(
        partial(
            push,
            principal=principal,
            mutations=mutations,
            commands=commands,
            acknowledged=acknowledged,
            form=form,
        ),
        crash_points=True,
    )
    if metrics is not None:
        metrics.sync_batches.inc()
        for result in pushed.results:
            metrics.sync_mutations.labels(result["verdict"]).inc()
    return pushed


def _pull_page(
    db: Database,
    account_id: uuid.UUID,
    position: Position | None,
    own_device: bool,
    request: SyncRequest,
    form: Form,
) -> PullOutcome:
    """The page a sync answers with, from one snapshot, and the reset it begins with."""
    with db.reader() as session:
        generation = session.scalar(select(ServerMeta.generation))
        assert generation is not None
        reset_for = partial(
            choose_reset,
            own_device=own_device,
            cursor_generation=position.generation if position is not None else None,
            generation=generation,
        )
        reset = reset_for(cursor_ahead=False)
        pulled = pull(
            session, account_id, generation, None if reset else position, request.max_changes, form
        )
        if pulled is None:
            reset = reset_for(cursor_ahead=True)
            pulled = pull(session, account_id, generation, None, request.max_changes, form)
            assert pulled is not None
    page, new_position, has_more, behind = pulled
    return PullOutcome(page, new_position, has_more, reset, behind)


# --- push ------------------------------------------------------------------------------


def _pull_only(db: Database, device_id: uuid.UUID, acknowledged: Position | None) -> PushOutcome:
    """Nothing to push: record the acknowledged position only if it moved."""
    with db.reader() as session:
        device = session.get(Device, device_id)
        assert device is not None
        last, stored = device.last_mutation_id, device.sync_position
    if acknowledged is not None and acknowledged.to_json() != stored:
        moved = (
            update(Device)
            .where(Device.id == device_id)
            .values(sync_position=acknowledged.to_json(), synced_at=utcnow())
        )
        db.grouped(lambda session: session.execute(moved))
    return PushOutcome([], last, None)


# A push's own statements, built once (building a statement costs SQLAlchemy more than
# SQLite takes to run it; see backend/matches/service.py).
_DEVICE_COUNTER = (
    select(Device.last_mutation_id).where(Device.id == bindparam("device_id")).with_for_update()
)
_DEVICE_PUSHED = (
    update(Device)
    .where(Device.id == bindparam("device_id"))
    .values(last_mutation_id=bindparam("last_mutation_id"))
)
_DEVICE_SEEN = (
    update(Device)
    .where(Device.id == bindparam("device_id"))
    .values(last_seen_at=bindparam("seen_at"))
)
_DEVICE_PUSHED_AND_PULLED = _DEVICE_PUSHED.values(
    sync_position=bindparam("sync_position"), synced_at=bindparam("synced_at")
)

Parsed = tuple[Command[Any], Any] | Invalid
"""A mutation read against the command table: its command and arguments, or why not."""


def push(
    session: Session,
    principal: Principal,
    mutations: Sequence[Mutation],
    commands: Sequence[Parsed],
    acknowledged: Position | None,
    form: Form = Form.FULL,
) -> PushOutcome:
    """Apply the fresh mutations in order; on return the device's last_mutation_id covers
    every mutation processed, in the same transaction as their effects.

    ``commands`` are the mutations parsed (:func:`_parse`), one for each."""
    device_id = principal.device_id
    # The device's row through the connection, not the ORM: no Device object is in this
    # session, and the ORM's update machinery (and its select's) cost a push more than
    # the statements themselves.
    connection = session.connection()
    last = connection.scalar(_DEVICE_COUNTER, {"device_id": device_id})
    assert device_id is not None and last is not None
    plan = plan_batch([m.id for m in mutations], last)
    answers = _replayed_answers(session, device_id, mutations, plan)  # by place in the batch
    fresh = [i for i, step in enumerate(plan.steps) if step is Step.FRESH]

    writer = MatchWriter(session, principal.account_id, device_id)
    parsed = [p for p in (commands[i] for i in fresh) if not isinstance(p, Invalid)]
    writer.prefetch(
        match_ids=[i for command, args in parsed if (i := command.match_id(args))],
        event_ids=[i for command, args in parsed if (i := command.event_id(args))],
    )
    turn = Turn(session, writer, principal.account_id)
    refused: list[dict[str, Any]] = []
    for index in fresh:
        mutation = mutations[index]
        answers[index] = answer = _apply(turn, mutation.id, commands[index], form)
        if "error" in answer:
            refused.append(
                {"device_id": device_id, "mutation_id": mutation.id, "name": mutation.name}
                | {"verdict": answer["verdict"], **answer["error"]}
            )
    writer.flush_events()
    pushed: dict[str, Any] = {"device_id": device_id, "last_mutation_id": plan.last_mutation_id}
    if principal.seen_at is not None:
        connection.execute(_DEVICE_SEEN, {"device_id": device_id, "seen_at": principal.seen_at})
    if acknowledged is None:
        connection.execute(_DEVICE_PUSHED, pushed)
    else:
        # The cursor the device sends back is what it has received: its pulled position.
        pulled = {"sync_position": acknowledged.to_json(), "synced_at": utcnow()}
        connection.execute(_DEVICE_PUSHED_AND_PULLED, pushed | pulled)
    session.flush()
    if refused:
        session.execute(insert(MutationOutcome), refused)
    first_copies = {answer["id"]: answer for answer in answers.values()}
    for index in (i for i, step in enumerate(plan.steps) if step is Step.REPEAT):
        # Answered as a retry in a later request would be: the first copy's verdict.
        answers[index] = repeat_answer(first_copies[mutations[index].id])
    results = [answers[index] for index in sorted(answers)]
    return PushOutcome(results, plan.last_mutation_id, plan.gap)


def _replayed_answers(
    session: Session, device_id: uuid.UUID, mutations: Sequence[Mutation], plan: BatchPlan
) -> dict[int, dict[str, Any]]:
    """The answers to the entries an earlier request processed, from the refusals kept."""
    replayed = [i for i, step in enumerate(plan.steps) if step is Step.REPLAYED]
    if not replayed:
        return {}
    kept = {
        o.mutation_id: (o.verdict, o.code, o.message, o.field)
        for o in session.scalars(
            select(MutationOutcome).where(
                MutationOutcome.device_id == device_id,
                MutationOutcome.mutation_id.in_([mutations[i].id for i in replayed]),
            )
        )
    }
    return {i: replayed_answer(mutations[i].id, kept.get(mutations[i].id)) for i in replayed}


def _apply(turn: Turn, mutation_id: int, parsed: Parsed, form: Form) -> dict[str, Any]:
    """Apply one fresh mutation, or answer why not: the refusal's verdict, with the record
    that won a conflict."""
    if isinstance(parsed, Invalid):
        return _refused(mutation_id, parsed)
    command, args = parsed
    try:
        command.apply(turn, args)
    except TouchlineError as error:
        if isinstance(error, NotFound):
            error = _why_not_found(turn, command, args) or error
        answer = _refused(mutation_id, error)
        if answer["verdict"] == Verdict.CONFLICT.value:
            current = _current(turn.writer, command, args, form)
            if current is not None:
                answer["current"] = current
        return answer
    return {"id": mutation_id, "verdict": Verdict.APPLIED.value}


def _why_not_found(turn: Turn, command: Command[Any], args: Any) -> TouchlineError | None:
    """``no_access``, saying why, when the target is in a team the account has left, been
    removed from, or that was deleted; None when it simply is not there for the account."""
    team_id = command.team_id(turn.session, args)
    if team_id is None:
        return None
    message = teams.departure_message(turn.session, turn.account_id, team_id)
    return Forbidden(message, code="no_access") if message is not None else None


def _refused(mutation_id: int, error: TouchlineError) -> dict[str, Any]:
    verdict = verdict_for(error.status, error.code)
    problem = refusal(error.code, error.message, error.field)
    return {"id": mutation_id, "verdict": verdict.value, "error": problem}


def _parse(mutation: Mutation) -> Parsed:
    command = HANDLERS.get(mutation.name)
    if command is None:
        return Invalid(f"unknown command {mutation.name!r}", field="name", code="unknown_command")
    try:
        return command, command.args.model_validate(mutation.args)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        where = ".".join(_loc_part(part) for part in first["loc"])
        return Invalid(
            f"{where}: {first['msg']}" if where else first["msg"],
            field=f"args.{where}" if where else "args",
        )


def _loc_part(part: str | int) -> str:
    # An unknown argument's key is client text that is echoed and stored with the
    # outcome: anything but a plain name is quoted, escaped and shortened.
    text = str(part)
    if isinstance(part, int) or (text.isidentifier() and len(text) <= 64):
        return text
    return json.dumps(text[:64])


def _current(
    writer: MatchWriter, command: Command[Any], args: Any, form: Form
) -> dict[str, Any] | None:
    """The record that won a conflict, as the change a pull would carry."""
    event_id = command.event_id(args)
    if event_id is not None:
        event = writer.event(event_id)
        if event is not None:
            return json.loads(changes.event_change(event, form).payload)  # type: ignore[no-any-return]
    match_id = command.match_id(args)
    if match_id is not None:
        try:
            return json.loads(changes.match_change(writer.match(match_id), form).payload)  # type: ignore[no-any-return]
        except NotFound:
            return None
    return None


# --- pull ------------------------------------------------------------------------------


def pull(
    session: Session,
    account_id: uuid.UUID,
    generation: uuid.UUID,
    position: Position | None,
    max_changes: int,
    form: Form = Form.FULL,
) -> tuple[list[str], Position, bool, int] | None:
    """A page of changes after ``position`` and the position after it; None if the
    position is ahead of the server in any space (the caller answers with a reset)."""
    position = position or Position(generation)
    teams_seen = [
        (team, role)
        for team, role in session.execute(
            select(Team, Membership.role)
            .join(Membership, Membership.team_id == Team.id)
            .where(Membership.account_id == account_id)
            .order_by(Team.id)
        )
    ]
    team_ids = [team.id for team, _ in teams_seen]
    matches = (
        list(session.scalars(select(Match).where(Match.team_id.in_(team_ids)).order_by(Match.id)))
        if team_ids
        else []
    )
    heads = {t.id: t.head_seq for t, _ in teams_seen} | {m.id: m.head_seq for m in matches}
    for space, seq in (position.teams | position.matches).items():
        if space in heads and seq > heads[space]:
            return None

    lost = {
        team_id: changes.team_change(Team(id=team_id, name="", head_seq=0), None, form)
        for team_id in sorted(set(position.teams) - set(team_ids))
    }
    spaces = [SpaceChanges(team_id, 0, 0, [tombstone]) for team_id, tombstone in lost.items()]
    spaces += changes.roster_spaces(session, teams_seen, position.teams, form)
    spaces += changes.match_spaces(session, matches, position.matches, max_changes, form=form)
    page = cut_page(spaces, max_changes, MAX_PULL_BYTES)

    visible_matches = {m.id for m in matches}
    # A team the device lost stays in the position until its tombstone has been sent.
    sent = set(page.payloads)
    new = Position(
        generation,
        teams={
            t: s
            for t, s in position.teams.items()
            if t in heads or (t in lost and lost[t].payload not in sent)
        },
        matches={m: s for m, s in position.matches.items() if m in visible_matches},
    )
    for space, seq in page.positions.items():
        if space in visible_matches:
            new.matches[space] = seq
        elif space in heads:
            new.teams[space] = seq
    known = new.teams | new.matches
    behind = sum(max(head - known.get(space, 0), 0) for space, head in heads.items())
    return page.payloads, new, page.has_more, behind
