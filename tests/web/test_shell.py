"""The service worker caches every script of the app, so it opens offline."""

from __future__ import annotations

import re
from pathlib import Path

PWA = Path(__file__).resolve().parents[2] / "pwa"


def test_the_shell_lists_every_script() -> None:
    shell = set(re.findall(r'"(/js/[^"]+)"', (PWA / "sw.js").read_text()))
    scripts = {f"/{path.relative_to(PWA).as_posix()}" for path in (PWA / "js").rglob("*.js")}
    assert scripts == shell


def _imports(script: Path) -> set[str]:
    """Every module ``script`` imports, directly or through another, as /js/ paths."""
    found: set[str] = set()
    pending = [script]
    while pending:
        importer = pending.pop()
        for name in re.findall(r'from "(\.\.?/[^"]+\.js)"', importer.read_text()):
            imported = (importer.parent / name).resolve()
            path = f"/{imported.relative_to(PWA).as_posix()}"
            if path not in found:
                found.add(path)
                pending.append(imported)
    return found


def test_the_watch_pages_own_cache_holds_every_script_it_imports() -> None:
    listed = re.search(r"const WATCH_SHELL = \[(.*?)\];", (PWA / "sw.js").read_text(), re.S)
    assert listed is not None
    watch_shell = set(re.findall(r'"(/js/[^"]+)"', listed.group(1)))

    assert _imports(PWA / "js" / "watch.js") | {"/js/watch.js"} == watch_shell


def test_every_script_the_coachs_app_imports_is_in_the_shell() -> None:
    shell = set(re.findall(r'"(/js/[^"]+)"', (PWA / "sw.js").read_text()))

    assert _imports(PWA / "js" / "coach.js") <= shell
