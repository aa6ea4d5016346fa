"""Run ``touchline`` as a real process: the commands, and a server on a free loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOUCHLINE = str(Path(sys.executable).with_name("touchline"))
PASSWORD = "a long pitch-side passphrase"
START_DEADLINE_SECONDS = 30.0
STOP_DEADLINE_SECONDS = 10.0


def touchline(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run a ``touchline`` command to completion; the caller checks the return code."""
    return subprocess.run(
        [TOUCHLINE, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=_environment(env),
        timeout=120,
        check=False,
    )


def _environment(extra: dict[str, str] | None) -> dict[str, str]:
    # The child must read its database from the command line or `extra`, never from ours.
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "TOUCHLINE_DATABASE_URL", "PORT"}
    }
    # Test runs create coaches, sync and watch from one loopback address far faster (and
    # in greater numbers) than a real crowd; these limits are tested on their own, with
    # their own settings.
    roomy = {
        "TOUCHLINE_RATE_BURST": "1000000",
        "TOUCHLINE_ANONYMOUS_BURST": "1000000",
        "TOUCHLINE_MAX_LIVE_PER_ADDRESS": "100000",
    }
    extra = extra or {}
    # Password hashing has tests of its own; every other sign-up hashes at Argon2id's floor.
    # Settings refuse that outside the test environment, so a production run keeps Argon2id.
    testing = extra.get("TOUCHLINE_ENVIRONMENT", "test") == "test"
    cheap = {"TOUCHLINE_PASSWORD_HASHER": "fast"} if testing else {}
    return base | {"TOUCHLINE_ENVIRONMENT": "test"} | roomy | cheap | extra


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Response:
    status: int
    body: Any


@dataclass
class Server:
    base_url: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> Response:
        """One HTTP request; the body is sent and read as JSON."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.base_url + path, data=data, headers=headers, method=method
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            with error:  # its connection: left open, it warns when collected
                status, raw = error.code, error.read()
        return Response(status, json.loads(raw) if raw else None)

    def sign_up(
        self, email: str | None = None, name: str = "Coach", password: str = PASSWORD
    ) -> str:
        """Register a coach and log in; returns the login token."""
        email = email or f"coach-{uuid.uuid4().hex[:10]}@example.org"
        account = {"email": email, "password": password, "display_name": name}
        created = self.request("POST", "/api/accounts", account)
        assert created.status == 201, created.body
        login = self.request("POST", "/api/auth/login", {"email": email, "password": password})
        assert login.status == 200, login.body
        token: str = login.body["access_token"]
        return token

    def phone(self, login_token: str, name: str = "phone") -> tuple[str, str]:
        """Register a device for the logged-in coach: (device id, device token)."""
        device = self.request("POST", "/api/devices", {"name": name}, login_token)
        assert device.status == 201, device.body
        return device.body["id"], device.body["token"]

    def log(self, containing: str | None = None, deadline: float = 10.0) -> str:
        """The server's output so far; with ``containing``, once that text appears in it
        (access lines are written just after their response is sent) or the deadline
        passes, whichever is first."""
        give_up = time.monotonic() + deadline
        text = self.log_path.read_text(errors="replace")
        while containing is not None and containing not in text and time.monotonic() < give_up:
            time.sleep(0.05)
            text = self.log_path.read_text(errors="replace")
        return text


def _status(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        with error:  # its connection: left open, it warns when collected
            return error.code
    except OSError:
        return None


@contextmanager
def running_server(
    database_url: str,
    log_path: Path,
    *,
    ready: bool = True,
    port: int | None = None,
    env: dict[str, str] | None = None,
    migrate: bool = False,
    workers: int = 1,
) -> Iterator[Server]:
    """``touchline serve`` on ``port`` (default: a free one), stopped on exit; its output
    goes to ``log_path``. Passing the port of a stopped server restarts it at its address.
    ``env`` adds settings to its environment (``TOUCHLINE_SECRET_KEYS``, ...); ``migrate``
    passes ``--migrate``; ``workers`` passes ``--workers``.

    The block starts once the server answers: ``/readyz`` with 200 when ``ready``, else
    ``/healthz`` (for a server whose database is not ready). Raises if that takes longer
    than the start deadline or the process dies first.
    """
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    probe = base_url + ("/readyz" if ready else "/healthz")
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [
                TOUCHLINE,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--database-url",
                database_url,
                *(["--migrate"] if migrate else []),
                *(["--workers", str(workers)] if workers != 1 else []),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=_environment(env),
        )
    server = Server(base_url, log_path, process)
    try:
        deadline = time.monotonic() + START_DEADLINE_SECONDS
        while _status(probe) != 200:
            if process.poll() is not None:
                raise RuntimeError(f"touchline serve exited early:\n{server.log()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"touchline serve did not answer {probe}:\n{server.log()}")
            time.sleep(0.05)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_DEADLINE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
