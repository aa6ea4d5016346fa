"""CSV exports of the numbers, written row by row as the response is sent.

A cell a spreadsheet would read as a formula is written with a leading ``'`` by the same
rule as every export (:func:`backend.matches.export.csv_cell`), so a player named
``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from backend.insights.schemas import MatchStatsOut, PlayerStatsOut, TeamStatsOut
from backend.insights.views import COUNT_FIELDS
from backend.matches.export import csv_cell

Cell = str | int | float | bool | None


def csv_lines(rows: Iterable[Sequence[Cell]]) -> Iterator[str]:
    """Each row as one CSV line (``\\r\\n``-terminated), formula-safe, made only when the
    response asks for it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([csv_cell(cell) for cell in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _player_cells(line: PlayerStatsOut) -> list[Cell]:
    return [str(line.player.id), line.player.squad_number, line.player.display_name]


def season_rows(stats: TeamStatsOut) -> Iterator[Sequence[Cell]]:
    yield ["player_id", "squad_number", "player", "appearances", "starts", "minutes", *COUNT_FIELDS]
    for line in stats.players:
        counts = [getattr(line, name) for name in COUNT_FIELDS]
        yield [*_player_cells(line), line.appearances, line.starts, line.minutes, *counts]


def minutes_rows(stats: MatchStatsOut) -> Iterator[Sequence[Cell]]:
    periods = [f"period_{number}" for number in range(1, len(stats.periods) + 1)]
    yield ["player_id", "squad_number", "player", "started", "minutes", "bench", *periods]
    for line in stats.players:
        started = "yes" if line.started else ("sub" if line.appeared else "no")
        yield [*_player_cells(line), started, line.minutes, line.bench, *line.by_period]
