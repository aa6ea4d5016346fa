"""The processes and databases a run starts, each stopped or dropped when its block ends,
also on Ctrl-C and errors. Every server listens on 127.0.0.1 only."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
TOUCHLINE = Path(sys.executable).with_name("touchline")
POSTGRES_ADMIN_URL = os.environ.get(
    "TOUCHLINE_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
START_SECONDS = 60.0
STOP_SECONDS = 15.0

# Generous limits: the load comes from one loopback client far faster than any crowd.
SERVER_ENV = {
    "TOUCHLINE_ENVIRONMENT": "test",
    "TOUCHLINE_RATE_BURST": "100000000",
    "TOUCHLINE_RATE_PER_SECOND": "100000000",
    "TOUCHLINE_ANONYMOUS_BURST": "100000000",
    "TOUCHLINE_ANONYMOUS_RATE_PER_SECOND": "100000000",
    "TOUCHLINE_LOGIN_ATTEMPTS_PER_MINUTE": "100000",
    "TOUCHLINE_MAX_VIEWERS_PER_LINK": "100000",
    "TOUCHLINE_MAX_LIVE_PER_ADDRESS": "100000",
}


def raise_file_limit() -> int:
    """Raise this process's open-file limit to its hard limit (children inherit it), so a
    thousand sockets fit; returns the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def group_pids(pid: int) -> list[int]:
    """``pid`` and the processes of its process group (a server's workers): each server
    runs in a group of its own (``start_new_session``)."""
    found = [pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pid:
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # it ended meanwhile
        if int(fields[2]) == pid:  # the process group id
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) the process and its process group have used so
    far: unlike a rate, it barely moves when other work shares the machine."""
    total = 0
    for member in group_pids(pid):
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def memory_kb(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process and its process
    group, in KiB: the sum over its members (for the peak, a bound: members may have
    peaked at different moments)."""
    values = {"VmRSS": 0, "VmHWM": 0}
    for member in group_pids(pid):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                key, _, rest = line.partition(":")
                if key in values:
                    values[key] += int(rest.split()[0])
    return values


@dataclass
class Process:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def memory(self) -> dict[str, int]:
        return memory_kb(self.pid)

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        with error:  # its connection
            return error.code
    except OSError:
        return None


@contextlib.contextmanager
def started(
    name: str,
    argv: list[str],
    port: int,
    probe: str,
    log_path: Path,
    env: dict[str, str],
    cwd: Path,
) -> Iterator[Process]:
    """Run ``argv`` in its own process group until the block ends; the block starts once
    ``probe`` answers 200. The whole group is terminated (then killed) on exit."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=cwd,
            start_new_session=True,
        )
    handle = Process(name, process, port, log_path)
    try:
        deadline = time.monotonic() + START_SECONDS
        while _status(f"http://127.0.0.1:{port}{probe}") != 200:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{handle.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not answer {probe}:\n{handle.log_tail()}")
            time.sleep(0.1)
        yield handle
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "TOUCHLINE_DATABASE_URL", "PORT"}
    }
    return base | SERVER_ENV | extra


def touchline_server(
    database_url: str,
    log_path: Path,
    migrate: bool = True,
    env: dict[str, str] | None = None,
    workers: int = 1,
) -> contextlib.AbstractContextManager[Process]:
    port = free_port()
    argv = [str(TOUCHLINE), "serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--database-url", database_url, "--log-level", "warning", "--workers", str(workers)]
    if migrate:
        argv.append("--migrate")
    return started("touchline", argv, port, "/readyz", log_path, _child_env(env or {}), ROOT)


def raw_broadcast_server(log_path: Path) -> contextlib.AbstractContextManager[Process]:
    port = free_port()
    argv = [sys.executable, str(ROOT / "bench" / "raw_broadcast.py"), "--port", str(port)]
    return started("raw websockets", argv, port, "/healthz", log_path, _child_env({}), ROOT)


def pouchdb_server(
    binary: Path, directory: Path, log_path: Path
) -> contextlib.AbstractContextManager[Process]:
    port = free_port()
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "config.json"
    config.write_text(
        json.dumps({"log": {"file": str(directory / "pouchdb.log"), "level": "error"}})
    )
    argv = [
        str(binary), "--host", "127.0.0.1", "--port", str(port), "--dir", str(directory),
        "--config", str(config), "--no-stdout-logs",
    ]  # fmt: skip
    return started("pouchdb-server", argv, port, "/", log_path, _child_env({}), directory)


@contextlib.contextmanager
def profiled(pid: int, output: Path | None) -> Iterator[None]:
    """Sample ``pid`` and its child processes (a server's workers) with py-spy for the
    block, writing a flame graph to ``output``; a no-op when ``output`` is None. py-spy
    is not a dependency: install it for the run."""
    if output is None:
        yield
        return
    spy = Path(sys.executable).with_name("py-spy")
    if not spy.exists():
        raise RuntimeError("--profile needs py-spy: .venv/bin/pip install py-spy")
    output.parent.mkdir(parents=True, exist_ok=True)
    recorder = subprocess.Popen(
        [str(spy), "record", "--pid", str(pid), "--rate", "200", "--nonblocking",
         "--subprocesses", "--format", "flamegraph", "--output", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    time.sleep(0.5)
    try:
        yield
    finally:
        # py-spy writes its output when interrupted.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(recorder.pid, signal.SIGINT)
        try:
            recorder.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stop(recorder)


# --- databases ---------------------------------------------------------------------------


def postgres_available() -> bool:
    engine = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except Exception:
        return False
    finally:
        engine.dispose()


@contextlib.contextmanager
def fresh_database(kind: str, scratch: Path) -> Iterator[str]:
    """A brand-new empty database for the block: a SQLite file in ``scratch``, or
    ``bench_<random>`` on the local PostgreSQL server, dropped at the end."""
    if kind == "sqlite":
        path = scratch / f"bench-{uuid.uuid4().hex[:8]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield (
                make_url(POSTGRES_ADMIN_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
