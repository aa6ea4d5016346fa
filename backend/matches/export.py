"""A coach's exports: a match's events as CSV, a whole team as JSON; both streamed.

Each is a generator of text chunks that reads as it goes, in its own read session (one
snapshot: REPEATABLE READ on PostgreSQL, a WAL read transaction on SQLite), so the request's
session, which ends before the response is sent, is not held open by a slow download.
The caller checks access first, with the request's session; these only read. A team's
matches are read a page at a time and written one at a time, so a long season never sits
in memory, and the first bytes leave before the last match is read.

Deleted events and matches are left out. Players are all there, deleted ones too (an event
may name them), with ``deleted`` set; an erased player is there as "Former player" with
``erased`` set, and nothing else names them.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import uuid
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from backend.db.changes import iso
from backend.db.models import (
    Account,
    Event,
    LineupEntry,
    Match,
    Membership,
    Player,
    ShareLink,
    Team,
    utcnow,
)
from backend.matches import service
from backend.matches.schemas import (
    ExportEvent,
    ExportLineupEntry,
    ExportMatch,
    ExportMember,
    ExportPlayer,
    ExportShareLink,
    ExportTeam,
)
from backend.matches.views import score_out

MATCHES_PER_READ = 20
"""How many matches of a team one query reads for the JSON export."""
ROWS_PER_CHUNK = 100
"""How many CSV rows go out in one chunk."""

EVENT_COLUMNS = (
    "period", "minute", "stoppage", "kind", "side", "number", "player", "assist_number",
    "assist", "replaced_number", "replaced_player", "note", "recorded_at", "event_id",
)  # fmt: skip
"""The columns of ``events.csv``, in order; its first line names them."""

# A spreadsheet runs a cell that starts with one of these as a formula (or, after a tab or
# CR, may yet); an export opened by a club secretary must not run what a coach typed.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """``value`` as a CSV cell: times as the API writes them, and text that a spreadsheet
    would take for a formula prefixed with ``'`` so it is shown as typed. Numbers are
    written as numbers, negative ones included."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def player_name(player: Player | None) -> str | None:
    """How an export names a player: the full name where the coach gave one."""
    return (player.full_name or player.display_name) if player is not None else None


def filename(*parts: str, extension: str) -> str:
    """A download's file name from ``parts``: lowercase ASCII letters, digits and hyphens
    only, so it needs no quoting in ``Content-Disposition`` on any browser."""
    words = []
    for part in parts:
        ascii_text = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode()
        word = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
        if word:
            words.append(word[:40])
    return f"{'-'.join(words) or 'export'}.{extension}"


def live_events(db_session: Session, match_id: uuid.UUID) -> Sequence[Event]:
    """A match's events that are not deleted, in match time (period, minute, added time),
    then in the order they were logged."""
    return db_session.scalars(
        select(Event)
        .where(Event.match_id == match_id, Event.deleted_at.is_(None))
        .order_by(Event.period, Event.minute, Event.stoppage, Event.seq)
    ).all()


def _csv_text(rows: Sequence[Sequence[object]]) -> str:
    out = io.StringIO()
    csv.writer(out).writerows([[csv_cell(cell) for cell in row] for row in rows])
    return out.getvalue()


def event_row(event: Event, players: Mapping[uuid.UUID, Player]) -> list[object]:
    """The cells of ``event`` under :data:`EVENT_COLUMNS`, its players named from
    ``players`` (the team's, by id)."""

    def who(player_id: uuid.UUID | None) -> tuple[int | None, str | None]:
        player = players.get(player_id) if player_id is not None else None
        return (player.squad_number if player else None), player_name(player)

    return [
        event.period,
        event.minute,
        event.stoppage,
        event.kind.value,
        event.side.value,
        *who(event.player_id),
        *who(event.assist_player_id),
        *who(event.replaced_player_id),
        event.note,
        event.recorded_at,
        str(event.id),
    ]


def match_events_csv(reader: sessionmaker[Session], match_id: uuid.UUID) -> Iterator[str]:
    """``events.csv`` of one match, whose access the caller has checked: a header line,
    then one line per live event, :data:`ROWS_PER_CHUNK` lines a chunk."""
    yield _csv_text([EVENT_COLUMNS])
    with reader() as db_session:
        match = db_session.get(Match, match_id)
        if match is None:
            return
        players = service.players_by_id(db_session, match.team_id)
        rows: list[list[object]] = []
        for event in live_events(db_session, match.id):
            rows.append(event_row(event, players))
            if len(rows) == ROWS_PER_CHUNK:
                yield _csv_text(rows)
                rows = []
        if rows:
            yield _csv_text(rows)


def read_players(db_session: Session, team_id: uuid.UUID) -> list[ExportPlayer]:
    players = db_session.scalars(
        select(Player)
        .where(Player.team_id == team_id)
        .order_by(Player.squad_number.is_(None), Player.squad_number, Player.display_name)
    )
    return [
        ExportPlayer(
            id=p.id,
            squad_number=p.squad_number,
            display_name=p.display_name,
            full_name=p.full_name,
            deleted=p.deleted_at is not None,
            erased=p.erased_at is not None,
        )
        for p in players
    ]


def read_members(db_session: Session, team_id: uuid.UUID) -> list[ExportMember]:
    rows = db_session.execute(
        select(Account.id, Account.display_name, Membership.role, Membership.created_at)
        .join(Membership, Membership.account_id == Account.id)
        .where(Membership.team_id == team_id)
        .order_by(Membership.created_at, Account.id)
    )
    return [
        ExportMember(account_id=account_id, display_name=name, role=role, joined_at=joined)
        for account_id, name, role, joined in rows
    ]


def read_share_links(db_session: Session, team_id: uuid.UUID) -> list[ExportShareLink]:
    links = db_session.scalars(
        select(ShareLink)
        .join(Match, Match.id == ShareLink.match_id)
        .where(Match.team_id == team_id)
        .order_by(ShareLink.created_at, ShareLink.id)
    )
    return [ExportShareLink.model_validate(link, from_attributes=True) for link in links]


def match_pages(db_session: Session, team_id: uuid.UUID) -> Iterator[Sequence[Match]]:
    """The team's live matches, oldest kick-off first, :data:`MATCHES_PER_READ` a page."""
    after: tuple[datetime, uuid.UUID] | None = None
    while True:
        query = select(Match).where(Match.team_id == team_id, Match.deleted_at.is_(None))
        if after is not None:
            kickoff, match_id = after
            query = query.where(
                or_(
                    Match.kickoff_at > kickoff,
                    and_(Match.kickoff_at == kickoff, Match.id > match_id),
                )
            )
        page = db_session.scalars(
            query.order_by(Match.kickoff_at, Match.id).limit(MATCHES_PER_READ)
        ).all()
        if not page:
            return
        yield page
        after = page[-1].kickoff_at, page[-1].id
        # What was read is written; the next page should not keep it alive.
        db_session.expunge_all()


def read_lineups(
    db_session: Session, match_ids: Sequence[uuid.UUID]
) -> Mapping[uuid.UUID, list[ExportLineupEntry]]:
    lineups: dict[uuid.UUID, list[ExportLineupEntry]] = {m: [] for m in match_ids}
    entries = db_session.scalars(
        select(LineupEntry)
        .where(LineupEntry.match_id.in_(match_ids))
        .order_by(LineupEntry.match_id, LineupEntry.role.desc(), LineupEntry.player_id)
    )
    for entry in entries:
        lineups[entry.match_id].append(
            ExportLineupEntry(player_id=entry.player_id, role=entry.role, position=entry.position)
        )
    return lineups


def _export_event(event: Event) -> ExportEvent:
    return ExportEvent(
        id=event.id,
        period=event.period,
        minute=event.minute,
        stoppage=event.stoppage,
        kind=event.kind,
        side=event.side,
        player_id=event.player_id,
        assist_player_id=event.assist_player_id,
        replaced_player_id=event.replaced_player_id,
        note=event.note,
        recorded_at=event.recorded_at,
    )


# What an exported match takes from its row as it is; the rest is computed or read beside it.
_MATCH_COLUMNS = tuple(ExportMatch.model_fields.keys() - {"score", "lineup", "events"})


def team_json(reader: sessionmaker[Session], team_id: uuid.UUID) -> Iterator[str]:
    """The whole team as one JSON document (:class:`~backend.matches.schemas.TeamExport`),
    for a team whose access the caller has checked: the team, its coaches and players in
    the first chunk, then one chunk per match with its lineup and events, then the share
    links made for its matches."""
    with reader() as db_session:
        team = db_session.get(Team, team_id)
        if team is None:
            return
        head = ExportTeam(id=team.id, name=team.name, created_at=team.created_at)
        members = ",".join(m.model_dump_json() for m in read_members(db_session, team_id))
        players = ",".join(p.model_dump_json() for p in read_players(db_session, team_id))
        yield (
            f'{{"exported_at":"{iso(utcnow())}","team":{head.model_dump_json()},'
            f'"members":[{members}],"players":[{players}],"matches":['
        )
        separator = ""
        for page in match_pages(db_session, team_id):
            ids = [m.id for m in page]
            scores = service.scores(db_session, ids)
            lineups = read_lineups(db_session, ids)
            for match in page:
                exported = ExportMatch(
                    **{name: getattr(match, name) for name in _MATCH_COLUMNS},
                    score=score_out(match, scores[match.id]),
                    lineup=lineups[match.id],
                    events=[_export_event(e) for e in live_events(db_session, match.id)],
                )
                yield separator + exported.model_dump_json()
                separator = ","
        links = ",".join(link.model_dump_json() for link in read_share_links(db_session, team_id))
        yield f'],"share_links":[{links}]}}'
