#!/usr/bin/env python3
"""Bootstrap Touchline on a machine that has only Python 3.11+.

    python3 dev.py serve [touchline serve options]   # the server and web app, on SQLite
    python3 dev.py test  [pytest options]            # lint, type checks and the whole suite
                                                     # (the web app's too: needs Node and npm)
    python3 dev.py lock  [uv pip compile options]    # re-resolve the lock files
    python3 dev.py audit                             # the locked versions against known
                                                     # vulnerabilities (PyPI's advisories)

The first call creates `.venv/` and installs into it exactly the versions and files that
the lock file names (`requirements.lock` for serve, `requirements-dev.lock` for the rest,
every file checked against its SHA-256), then the project itself without dependencies;
later calls reinstall only when `pyproject.toml` or the lock has changed. A lock made
for other dependencies than `pyproject.toml` names is refused. Nothing outside this
folder is touched.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import urllib.request
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".touchline-installed"
LOCKS = {"": ROOT / "requirements.lock", "dev": ROOT / "requirements-dev.lock"}
# The first line of each lock: what pyproject.toml's dependencies were when it was made.
LOCK_MARK = "# pyproject dependencies sha256: "
PIN = re.compile(r"^([a-z0-9][a-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)
NODE_MODULES = ROOT / "node_modules"
NODE_STAMP = NODE_MODULES / ".touchline-installed"


def ensure_environment(extras: str) -> None:
    """Create .venv if needed and install the locked dependencies for ``extras`` ("" for
    the server, or "dev"), then the project. Exits with the reason if the lock does not
    match pyproject.toml's dependencies."""
    if sys.version_info < (3, 11):
        sys.exit(f"Touchline needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    lock = _checked_lock(extras)
    stamp, _, installed = (STAMP.read_text() if STAMP.exists() else "").partition(":")
    # The dev install includes everything the server needs, so it satisfies either.
    if installed in {extras, "dev"} and stamp == _installation(installed):
        return
    if not (BIN / "python").exists():
        print("Creating .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    print(f"Installing Touchline and the versions in {lock.name} into .venv ...", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--require-hashes", "--requirement", str(lock)], check=True)
    subprocess.run([*pip, "--no-deps", "--editable", str(ROOT)], check=True)
    STAMP.write_text(f"{_installation(extras)}:{extras}")


def _installation(extras: str) -> str:
    """What an install for ``extras`` is made from: the project and its lock."""
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    lock = LOCKS.get(extras)
    digest.update(lock.read_bytes() if lock is not None and lock.exists() else b"")
    return digest.hexdigest()


def dependencies_digest() -> str:
    """A digest of the dependencies pyproject.toml names (not of its other settings)."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = {
        "requires-python": project.get("requires-python"),
        "dependencies": project.get("dependencies", []),
        "optional-dependencies": project.get("optional-dependencies", {}),
    }
    return hashlib.sha256(json.dumps(named, sort_keys=True).encode()).hexdigest()


def _checked_lock(extras: str) -> Path:
    lock = LOCKS[extras]
    first = lock.read_text().partition("\n")[0] if lock.exists() else ""
    if first != LOCK_MARK + dependencies_digest():
        sys.exit(
            f"{lock.name} does not match the dependencies in pyproject.toml (they changed "
            "since it was made, or it is missing). Run `python3 dev.py lock` and commit "
            "both lock files with the change."
        )
    return lock


def lock(options: list[str]) -> None:
    """Re-resolve both lock files from pyproject.toml, for every platform and Python 3.11+;
    versions already locked are kept unless ``options`` say otherwise (``--upgrade``,
    ``--upgrade-package NAME``). The server's lock takes its versions from the dev lock."""
    uv = BIN / "uv"
    if not uv.exists():
        if not (BIN / "python").exists():
            venv.create(VENV, with_pip=True)
        subprocess.run([str(BIN / "python"), "-m", "pip", "install", "--quiet", "uv"], check=True)
    mark = LOCK_MARK + dependencies_digest() + "\n"
    for extras, constraint in (("dev", None), ("", LOCKS["dev"])):
        target = LOCKS[extras]
        command = [
            str(uv), "pip", "compile", "pyproject.toml", "--quiet", "--universal",
            "--python-version", "3.11", "--generate-hashes", "--no-header",
            "--output-file", str(target),
            *(["--extra", extras] if extras else []),
            *(["--constraint", str(constraint)] if constraint else []),
            *options,
        ]  # fmt: skip
        subprocess.run(command, cwd=ROOT, check=True)
        target.write_text(mark + target.read_text())
        print(f"wrote {target.name}")


def audit(lock_file: Path) -> None:
    """Check every version ``lock_file`` pins against PyPI's vulnerability data with
    pip-audit; exits non-zero, naming each advisory, if any applies.

    pip-audit asks PyPI about each release (``/pypi/NAME/VERSION/json``). Where that is
    not answered (some mirrors and proxies serve only ``/pypi/NAME/json``), a pin at the
    latest release is checked against that answer, whose advisories are the latest
    release's; an older pin cannot be checked there and is named in a warning.
    """
    pins = dict(PIN.findall(lock_file.read_text()))
    print(f"Auditing the {len(pins)} packages in {lock_file.name} ...", flush=True)
    report = subprocess.run(
        [
            str(BIN / "pip-audit"), "--disable-pip", "--require-hashes", "--requirement",
            str(lock_file), "--format", "json", "--progress-spinner", "off",
        ],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    try:
        dependencies = json.loads(report.stdout)["dependencies"]
    except (ValueError, KeyError):
        sys.exit(f"dev.py audit: pip-audit failed:\n{report.stderr}")
    found = {
        d["name"]: [(v["id"], v["fix_versions"]) for v in d.get("vulns", [])] for d in dependencies
    }
    unchecked = []
    for skipped in (d["name"] for d in dependencies if "skip_reason" in d):
        with urllib.request.urlopen(f"https://pypi.org/pypi/{skipped}/json", timeout=30) as r:
            latest = json.load(r)
        if latest["info"]["version"] != pins[skipped]:
            unchecked.append(f"{skipped}=={pins[skipped]}")
            continue
        found[skipped] = [
            (v["id"], v["fixed_in"]) for v in latest["vulnerabilities"] if not v.get("withdrawn")
        ]
    vulnerable = {name: advisories for name, advisories in found.items() if advisories}
    for name, advisories in sorted(vulnerable.items()):
        for advisory, fixed_in in advisories:
            fix = f"fixed in {', '.join(fixed_in)}" if fixed_in else "no fixed release yet"
            print(f"  {name}=={pins.get(name, '?')}: {advisory} ({fix})")
    if vulnerable:
        sys.exit(
            f"dev.py audit: {len(vulnerable)} locked package(s) have known vulnerabilities "
            "(above). Raise each to a fixed version with `python3 dev.py lock "
            "--upgrade-package NAME`, run the tests and commit both lock files."
        )
    if unchecked:
        print(
            f"warning: {len(unchecked)} pins are older than their latest release, and PyPI's "
            "per-release data did not answer here, so they were not checked: "
            f"{', '.join(unchecked)}. `python3 dev.py lock --upgrade` moves them to the latest."
        )
    print(f"No known vulnerabilities in the {len(pins) - len(unchecked)} packages checked.")


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
    if command not in {"serve", "test", "lock", "audit"}:
        print(__doc__)
        sys.exit(0 if command in {"help", "-h", "--help"} else 2)
    if command == "lock":
        lock(rest)
        return
    if command == "audit":
        ensure_environment("dev")
        _checked_lock("")
        # The server's lock takes its versions from the dev lock: auditing it covers both.
        audit(LOCKS["dev"])
        return
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
    os.execv(str(BIN / "python"), [str(BIN / "python"), "-m", "pytest", *_workers(rest), *rest])


def _workers(args: list[str]) -> list[str]:
    """Two pytest workers unless the caller chose: the suite mostly waits on server
    processes, PostgreSQL and Chromium, so two workers on two cores take half the time."""
    chosen = any(
        arg in {"-n", "--numprocesses", "no:xdist"} or arg.startswith(("-n", "--numprocesses="))
        for arg in args
    )
    return [] if chosen else ["--numprocesses", "2"]


def _database_option(args: list[str]) -> list[str]:
    for index, arg in enumerate(args):
        if arg == "--database-url" and index + 1 < len(args):
            return ["--database-url", args[index + 1]]
        if arg.startswith("--database-url="):
            return [arg]
    return []


if __name__ == "__main__":
    main(sys.argv[1:])
