"""Peak server memory under a burst of 50 concurrent logins.

Registers 50 coaches one after another, then sends all 50 logins at once and reads the
server's peak resident memory (VmHWM) against its resident memory just before the burst.
Run once with the default gate (TOUCHLINE_PASSWORD_HASH_CONCURRENCY=2) and once with the
gate as wide as the burst, so the figure shows what the gate holds back::

    .venv/bin/python bench/login_burst.py

SQLite only: the hashing, not the database, is what is measured. Prints one line per run.
"""

from __future__ import annotations

import json
import sys
import tempfile
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.processes import Process, touchline_server

LOGINS = 50
PASSWORD = "a long pitch-side passphrase"


def _post(server: Process, path: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(
        server.base_url + path,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        status: int = response.status
        return status


def burst(concurrency: int, directory: Path) -> dict[str, float]:
    database_url = f"sqlite:///{directory / f'burst-{concurrency}.db'}"
    env = {"TOUCHLINE_PASSWORD_HASH_CONCURRENCY": str(concurrency)}
    log = directory / f"burst-{concurrency}.log"
    with touchline_server(database_url, log, env=env) as server:
        emails = [f"coach{n}-{uuid.uuid4().hex[:6]}@example.org" for n in range(LOGINS)]
        for email in emails:
            account = {"email": email, "password": PASSWORD, "display_name": "Coach"}
            assert _post(server, "/api/accounts", account) == 201
        before = server.memory()["VmRSS"]
        with ThreadPoolExecutor(max_workers=LOGINS) as pool:
            statuses = list(
                pool.map(
                    lambda email: _post(
                        server, "/api/auth/login", {"email": email, "password": PASSWORD}
                    ),
                    emails,
                )
            )
        assert statuses == [200] * LOGINS, statuses
        peak = server.memory()["VmHWM"]
    return {
        "concurrency": concurrency,
        "rss_before_mib": round(before / 1024, 1),
        "peak_mib": round(peak / 1024, 1),
        "peak_over_before_mib": round((peak - before) / 1024, 1),
    }


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="touchline-login-burst-") as scratch:
        for concurrency in (2, LOGINS):
            print(json.dumps(burst(concurrency, Path(scratch))), flush=True)


if __name__ == "__main__":
    main()
