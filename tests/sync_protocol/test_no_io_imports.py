"""The protocol core does no I/O: importing all of it loads no web, database or socket library."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("fastapi", "sqlalchemy", "starlette", "websockets", "uvicorn", "psycopg")

# Runs in a fresh interpreter so that nothing this test process already imported counts.
PROBE = """
import importlib, json, pkgutil, sys
import sync_protocol
names = [m.name for m in pkgutil.walk_packages(sync_protocol.__path__, "sync_protocol.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"submodules": names, "loaded": sorted(sys.modules)}))
"""


def test_sync_protocol_imports_no_io_framework() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    report = json.loads(result.stdout)
    loaded = {name.split(".")[0] for name in report["loaded"]}

    assert "sync_protocol.match" in report["submodules"]
    assert sorted(loaded & set(FORBIDDEN)) == []
