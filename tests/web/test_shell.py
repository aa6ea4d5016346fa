"""The service worker caches every script of the app, so it opens offline."""

from __future__ import annotations

import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"


def test_the_shell_lists_every_script() -> None:
    shell = set(re.findall(r'"(/js/[^"]+)"', (PWA / "sw.js").read_text()))
    scripts = {f"/js/{path.name}" for path in (PWA / "js").glob("*.js")}
    assert scripts == shell
