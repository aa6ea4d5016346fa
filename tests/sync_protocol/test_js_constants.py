"""The web app's pwa/js/protocol.js is what sync_protocol/js_constants.py prints today."""

from __future__ import annotations

from pathlib import Path

from sync_protocol.js_constants import render

GENERATED = Path(__file__).resolve().parents[2] / "pwa" / "js" / "protocol.js"


def test_the_generated_constants_are_up_to_date() -> None:
    assert GENERATED.read_text() == render(), (
        "pwa/js/protocol.js is stale: run "
        "`.venv/bin/python -m sync_protocol.js_constants > pwa/js/protocol.js`"
    )
