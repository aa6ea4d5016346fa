"""The published conformance file is what a real server answers, and SPEC.md's worked
examples are that file.

``TOUCHLINE_UPDATE_CONFORMANCE=1`` regenerates both from a server on SQLite (the
PostgreSQL run still compares): run it after changing what the server answers, and read
the diff before committing.
"""

from __future__ import annotations

import fnmatch
import os
import tomllib
from pathlib import Path

import pytest

from tests.sync.clubs import ground
from tests.sync_protocol import conformance

UPDATE = os.environ.get(conformance.UPDATE_VARIABLE) == "1"


@pytest.mark.e2e
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_real_server_answers_every_step_of_the_conformance_file(
    kind: str, tmp_path: Path
) -> None:
    published = conformance.load()
    with ground(kind, tmp_path) as pitch, pitch.server() as server:
        answered = conformance.replay(server, published)

    if UPDATE and kind == "sqlite":
        conformance.save(published | {"steps": answered})
        spec = conformance.SPEC.read_text()
        by_name = {step["name"]: step for step in answered}
        conformance.SPEC.write_text(conformance.with_examples(spec, by_name))
        return
    for expected, got in zip(published["steps"], answered, strict=True):
        assert got["response"] == expected.get("response"), expected["name"]


def test_the_worked_examples_in_spec_are_steps_of_the_conformance_file() -> None:
    steps = {step["name"]: step for step in conformance.load()["steps"]}
    examples = conformance.spec_examples(conformance.SPEC.read_text())

    assert len(examples) >= 10
    for name, text in examples.items():
        assert name in steps, f"SPEC.md shows {name!r}, which the conformance file lacks"
        assert text == conformance.render(steps[name]), (
            f"SPEC.md's example {name!r} is stale: run the conformance test with "
            f"{conformance.UPDATE_VARIABLE}=1"
        )


def test_the_conformance_file_covers_the_cases_a_client_must_handle() -> None:
    steps = conformance.load()["steps"]
    cases = {step["case"] for step in steps}
    answers = [step["response"] for step in steps]
    results = [r for a in answers if a["status"] == 200 for r in a["body"].get("results", [])]
    resets = [a["body"]["reset"]["reason"] for a in answers if (a["body"] or {}).get("reset")]

    assert {
        "first sync",
        "push and pull",
        "replay",
        "gap",
        "rejection",
        "conflict",
        "paging",
        "unknown device",
        "foreign cursor",
        "protocol too new",
        "wrong types",
    } <= cases
    assert {r["verdict"] for r in results} == {"applied", "rejected", "conflict"}
    assert any(r.get("replayed") for r in results)
    assert any((a["body"] or {}).get("gap") for a in answers)
    assert any((a["body"] or {}).get("has_more") for a in answers)
    assert "unknown_device" in resets
    assert {a["status"] for a in answers} >= {200, 201, 401, 409, 422}


def test_the_conformance_file_ships_in_the_package() -> None:
    pyproject = tomllib.loads((conformance.SPEC.parents[1] / "pyproject.toml").read_text())
    patterns = pyproject["tool"]["setuptools"]["package-data"]["sync_protocol"]
    shipped = conformance.CONFORMANCE.relative_to(conformance.SPEC.parent).as_posix()

    assert any(fnmatch.fnmatch(shipped, pattern) for pattern in patterns)
