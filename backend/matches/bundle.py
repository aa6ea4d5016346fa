"""A whole team as CSV files in one ZIP archive, for a club secretary's spreadsheet: the
same content as the JSON export (:mod:`backend.matches.export`), streamed the same way.

The archive is written as it is read: each file's rows go through the compressor into a
buffer that is handed out and emptied as it fills, so neither the archive nor a season of
events is ever whole in memory. ZIP allows it: an entry's sizes follow its data (a data
descriptor) when the output cannot seek back.

Files: ``members.csv``, ``players.csv``, ``matches.csv``, ``events.csv`` (the columns of a
match's ``events.csv`` after the match's id), ``lineups.csv`` and ``share_links.csv``.
Cells are made safe for spreadsheets by the one export rule
(:func:`backend.matches.export.csv_cell`).
"""

from __future__ import annotations

import csv
import io
import uuid
import zipfile
from collections.abc import Iterable, Iterator, Sequence

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from backend.matches import export, service
from backend.matches.schemas import ExportMember, ExportPlayer, ExportShareLink
from backend.matches.views import score_out

CHUNK_BYTES = 64 * 1024
"""How much compressed output gathers before it is handed out."""

MATCH_COLUMNS = (
    "match_id", "opponent", "is_home", "kickoff_at", "venue", "competition", "periods",
    "period_minutes", "status", "team_goals", "opposition_goals",
)  # fmt: skip


class _Drain(io.RawIOBase):
    """A write-only, unseekable file that keeps what is written until it is taken."""

    def __init__(self) -> None:
        self.held = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, data: bytes) -> int:  # type: ignore[override]
        self.held += data
        return len(data)

    def take(self) -> bytes:
        taken = bytes(self.held)
        self.held.clear()
        return taken


def _model_rows(items: Sequence[BaseModel], model: type[BaseModel]) -> Iterator[list[object]]:
    yield list(model.model_fields)
    for item in items:
        yield [getattr(item, name) for name in model.model_fields]


def _match_rows(db_session: Session, team_id: uuid.UUID) -> Iterator[list[object]]:
    yield list(MATCH_COLUMNS)
    for page in export.match_pages(db_session, team_id):
        scores = service.scores(db_session, [m.id for m in page])
        for m in page:
            score = score_out(m, scores[m.id])
            yield [
                str(m.id), m.opponent, m.is_home, m.kickoff_at, m.venue, m.competition,
                m.periods, m.period_minutes, m.status.value, score.team, score.opposition,
            ]  # fmt: skip


def _event_rows(db_session: Session, team_id: uuid.UUID) -> Iterator[list[object]]:
    yield ["match_id", *export.EVENT_COLUMNS]
    players = service.players_by_id(db_session, team_id)
    for page in export.match_pages(db_session, team_id):
        for match in page:
            for event in export.live_events(db_session, match.id):
                yield [str(match.id), *export.event_row(event, players)]


def _lineup_rows(db_session: Session, team_id: uuid.UUID) -> Iterator[list[object]]:
    yield ["match_id", "player_id", "role", "position"]
    for page in export.match_pages(db_session, team_id):
        for match_id, entries in export.read_lineups(db_session, [m.id for m in page]).items():
            for entry in entries:
                yield [str(match_id), str(entry.player_id), entry.role, entry.position]


def _files(db_session: Session, team_id: uuid.UUID) -> Iterator[tuple[str, Iterable[list[object]]]]:
    members = export.read_members(db_session, team_id)
    yield "members.csv", _model_rows(members, ExportMember)
    yield "players.csv", _model_rows(export.read_players(db_session, team_id), ExportPlayer)
    yield "matches.csv", _match_rows(db_session, team_id)
    yield "events.csv", _event_rows(db_session, team_id)
    yield "lineups.csv", _lineup_rows(db_session, team_id)
    links = export.read_share_links(db_session, team_id)
    yield "share_links.csv", _model_rows(links, ExportShareLink)


def team_csv_zip(reader: sessionmaker[Session], team_id: uuid.UUID) -> Iterator[bytes]:
    """The team's CSV files in one ZIP archive, for a team whose access the caller has
    checked, in chunks of about :data:`CHUNK_BYTES`."""
    drain = _Drain()
    with reader() as db_session, zipfile.ZipFile(drain, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, rows in _files(db_session, team_id):
            with (
                archive.open(name, "w") as entry,
                io.TextIOWrapper(entry, encoding="utf-8", newline="") as text,
            ):
                writer = csv.writer(text)
                for row in rows:
                    writer.writerow([export.csv_cell(cell) for cell in row])
                    if len(drain.held) >= CHUNK_BYTES:
                        yield drain.take()
    yield drain.take()
