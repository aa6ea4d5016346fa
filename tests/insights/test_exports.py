"""The CSV cells and the count columns, without a server."""

from __future__ import annotations

import csv
import io

import pytest

from backend.insights.exports import csv_lines
from backend.insights.schemas import Counts
from backend.matches.export import csv_cell as safe_cell
from sync_protocol.insights import COUNTED


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_would_start_a_formula_is_text(start: str) -> None:
    assert safe_cell(f"{start}1+1") == f"'{start}1+1"


@pytest.mark.parametrize("value", ["Sam", "O'Neil", "", 7, -3, 0.5, None, True])
def test_other_cells_are_left_as_they_are(value: str | int | float | None) -> None:
    assert safe_cell(value) == value


def test_each_row_is_one_line_made_when_asked_for() -> None:
    made: list[int] = []

    def rows() -> object:
        for number in (1, 2):
            made.append(number)
            yield [number, '=cmd|" /C calc"!A0', "a, b"]

    lines = csv_lines(rows())  # type: ignore[arg-type]
    assert made == []
    first = next(lines)
    assert made == [1]
    text = first + "".join(lines)

    assert list(csv.reader(io.StringIO(text))) == [
        ["1", '\'=cmd|" /C calc"!A0', "a, b"],
        ["2", '\'=cmd|" /C calc"!A0', "a, b"],
    ]


def test_every_counted_kind_has_its_column() -> None:
    assert set(Counts.model_fields) == {*COUNTED.values(), "assists"}
