#!/usr/bin/env python3
"""Bootstrap Touchline on a machine that has only Python 3.11+.

    python3 dev.py serve [touchline serve options]   # the server and web app, on SQLite
    python3 dev.py test  [pytest options]            # lint, type checks and the whole suite
                                                     # (the web app's too: needs Node and npm)

The first call creates `.venv/` and installs the project into it; later calls reinstall only
when `pyproject.toml` has changed. Nothing outside this folder is touched.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".touchline-installed"
NODE_MODULES = ROOT / "node_modules"
NODE_STAMP = NODE_MODULES / ".touchline-installed"


def ensure_environment(extras: str) -> None:
    """Create .venv if needed and install the project with ``extras`` ("" or "dev")."""
    if sys.version_info < (3, 11):
        sys.exit(f"Touchline needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    project = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    stamp, _, installed = (STAMP.read_text() if STAMP.exists() else "").partition(":")
    # The dev install includes everything the server needs, so it satisfies either.
    if stamp == project and installed in {extras, "dev"}:
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print("Installing Touchline and its dependencies into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    target = f"{ROOT}[{extras}]" if extras else str(ROOT)
    subprocess.run([*pip, "-e", target], check=True)
    STAMP.write_text(f"{project}:{extras}")


def ensure_node_modules() -> str:
    """Install the web app's check tools (package-lock.json) with ``npm ci`` if missing or
    stale, and return the path of ``node``; stop with a clear message where Node or npm is
    not installed."""
    node, npm = shutil.which("node"), shutil.which("npm")
    missing = [name for name, path in (("node", node), ("npm", npm)) if path is None]
    if node is None or npm is None:
        sys.exit(
            f"dev.py test checks the web app with Node.js and npm; {' and '.join(missing)} "
            "not found. Install them (Debian: apt-get install nodejs npm) and run it again."
        )
    lock = hashlib.sha256((ROOT / "package-lock.json").read_bytes()).hexdigest()
    if NODE_STAMP.exists() and NODE_STAMP.read_text() == lock:
        return node
    print("Installing the web app's check tools into node_modules/ ...", flush=True)
    run(npm, "ci", "--no-audit", "--no-fund", "--loglevel=error")
    NODE_STAMP.write_text(lock)
    return node


def run(*argv: str) -> None:
    result = subprocess.run(argv, cwd=ROOT, check=False)
    if result.returncode != 0:
        sys.exit(result.returncode)


def main(argv: list[str]) -> None:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command not in {"serve", "test"}:
        print(__doc__)
        sys.exit(0 if command in {"help", "-h", "--help"} else 2)
    ensure_environment("" if command == "serve" else "dev")
    touchline = str(BIN / "touchline")
    if command == "serve":
        run(touchline, "db", "upgrade", *_database_option(rest))
        os.execv(touchline, [touchline, "serve", *rest])
    run(str(BIN / "ruff"), "check", ".")
    run(str(BIN / "ruff"), "format", "--check", ".")
    run(str(BIN / "mypy"))
    node = ensure_node_modules()
    # Files, not the folder: newer Node reads --test arguments as glob patterns.
    js_tests = sorted(str(path.relative_to(ROOT)) for path in ROOT.glob("pwa/tests/*.test.mjs"))
    run(node, "--test", "--test-reporter=spec", *js_tests)
    run(node, str(NODE_MODULES / "typescript" / "bin" / "tsc"), "--project", "tsconfig.json")
    os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *rest])


def _database_option(args: list[str]) -> list[str]:
    for index, arg in enumerate(args):
        if arg == "--database-url" and index + 1 < len(args):
            return ["--database-url", args[index + 1]]
        if arg.startswith("--database-url="):
            return [arg]
    return []


if __name__ == "__main__":
    main(sys.argv[1:])
