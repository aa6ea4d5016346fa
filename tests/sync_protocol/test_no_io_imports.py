"""The protocol core does no I/O: it loads no framework and no I/O library, and names none.

Two checks, because neither is enough alone. Importing all of the core in a fresh
interpreter must load no framework at all, and no I/O library beyond what pydantic (the
core's one dependency) loads by itself: pydantic's plugin loader reads package metadata,
which drags in ``socket``, ``selectors`` and ``threading`` through the standard library's
``email`` package. So the core's own source must not import any of them either.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import sync_protocol

FRAMEWORKS = frozenset(
    {
        "fastapi",
        "starlette",
        "sqlalchemy",
        "alembic",
        "psycopg",
        "websockets",
        "uvicorn",
        "anyio",
        "httpx",
        "requests",
    }
)
# Files, databases, networks, processes, threads and event loops: the drivers' business.
IO_MODULES = frozenset(
    {
        "sqlite3",
        "dbm",
        "shelve",
        "urllib.request",
        "http",
        "socket",
        "ssl",
        "selectors",
        "asyncio",
        "subprocess",
        "threading",
        "multiprocessing",
        "concurrent",
        "os",
        "io",
        "pathlib",
        "shutil",
        "tempfile",
    }
)

# Runs in a fresh interpreter so that nothing this test process already imported counts.
# pydantic builds one model first, so that whatever it loads on first use is in `before`.
PROBE = """
import importlib, json, pkgutil, sys
import pydantic
class Probe(pydantic.BaseModel):
    x: int
before = sorted(sys.modules)
import sync_protocol
names = [m.name for m in pkgutil.walk_packages(sync_protocol.__path__, "sync_protocol.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"submodules": names, "before": before, "after": sorted(sys.modules)}))
"""


def _forbidden(module: str, forbidden: frozenset[str]) -> bool:
    """``module`` is one of ``forbidden`` or inside one (``http.client`` is in ``http``)."""
    parts = module.split(".")
    return any(".".join(parts[:n]) in forbidden for n in range(1, len(parts) + 1))


def test_importing_the_core_loads_no_framework_and_no_io_library() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(result.stdout)
    loaded_by_core = set(report["after"]) - set(report["before"])

    assert "sync_protocol.match" in report["submodules"]
    assert "sync_protocol.messages" in loaded_by_core
    assert sorted(m for m in report["after"] if _forbidden(m, FRAMEWORKS)) == []
    assert sorted(m for m in loaded_by_core if _forbidden(m, IO_MODULES)) == []


def _imports(source: Path) -> set[str]:
    """Every module ``source`` names in an import statement, at any depth."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source.read_text(), str(source))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_the_core_source_imports_no_io_library() -> None:
    sources = sorted(Path(sync_protocol.__file__).parent.rglob("*.py"))
    named = {
        f"{source.name}: {module}"
        for source in sources
        for module in _imports(source)
        if _forbidden(module, IO_MODULES | FRAMEWORKS)
    }

    assert len(sources) >= 6
    assert "pydantic" in set().union(*(_imports(source) for source in sources))
    assert sorted(named) == []
