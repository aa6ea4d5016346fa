"""A push service that hangs must not slow /sync: the same goals, pushed one per /sync,
with no alert subscribers, with 200 subscribers on a push service that answers at once,
and with 200 whose push service accepts the connection and never answers.

    .venv/bin/python bench/push_hang.py [--database sqlite|postgresql] [--goals 100] [--every 0.05]

Prints the /sync latency of each phase and the hanging/answering ratio (same server, same
run). The
sender's tries time out (5 s each) and its queue overflows into ``dropped``; none of that
is on the request path.
"""

from __future__ import annotations

import argparse
import base64
import json
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402

from backend.vapid_keys import generate_private_key  # noqa: E402
from bench import processes, workload  # noqa: E402

SUBSCRIBERS = 200


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hanging_service() -> tuple[str, socket.socket]:
    """A listener that accepts every connection and never answers a byte."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            held.append(connection)

    threading.Thread(target=accept, daemon=True).start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", listener


def answering_service() -> tuple[str, ThreadingHTTPServer]:
    """A push service that takes every push at once (201), for the same load without the
    hang."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(201)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}", httpd


def call(base: str, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, headers=headers, method=method)
    with urllib.request.urlopen(request, timeout=60) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def set_up(base: str) -> dict[str, Any]:
    email = f"bench-{uuid.uuid4().hex[:8]}@example.org"
    password = "correct horse battery"
    call(base, "POST", "/api/accounts", {"email": email, "password": password, "display_name": "B"})
    login = call(base, "POST", "/api/auth/login", {"email": email, "password": password})
    device = call(base, "POST", "/api/devices", {"name": "phone"}, login["access_token"])
    token = device["token"]
    team = call(base, "POST", "/api/teams", {"name": "Riverside"}, token)
    player = call(
        base, "POST", f"/api/teams/{team['id']}/players",
        {"squad_number": 7, "display_name": "Zara"}, token,
    )  # fmt: skip
    match = call(
        base, "POST", "/api/matches",
        {"team_id": team["id"], "opponent": "Blues", "kickoff_at": "2026-11-21T10:00:00Z"},
        token,
    )  # fmt: skip
    link = call(base, "GET", f"/api/matches/{match['id']}/share", None, token)
    phone = {"token": token, "device_id": device["id"], "counter": 0}
    return {"phone": phone, "match_id": match["id"], "player_id": player["id"], "link": link}


def push(base: str, setup: dict[str, Any], kind: str, minute: int) -> float:
    """One event in one /sync; returns the seconds until its answer."""
    phone = setup["phone"]
    phone["counter"] += 1
    mutation = {
        "id": phone["counter"], "name": "add_event",
        "args": {
            "id": str(uuid.uuid4()), "match_id": setup["match_id"], "kind": kind, "period": 1,
            "minute": minute, "player_id": setup["player_id"] if kind == "goal" else None,
        },
    }  # fmt: skip
    body = {"protocol": 1, "device_id": phone["device_id"], "mutations": [mutation], "pull": False}
    started = time.monotonic()
    answer = call(base, "POST", "/sync", body, phone["token"])
    elapsed = time.monotonic() - started
    assert answer["results"][0]["verdict"] == "applied", answer
    return elapsed


def subscribe(base: str, endpoint: str, link: dict[str, Any]) -> None:
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    subscription = {
        "endpoint": f"{endpoint}/push/{uuid.uuid4().hex}",
        "keys": {
            "p256dh": _b64(key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)),
            "auth": _b64(uuid.uuid4().bytes),
        },
    }
    call(base, "POST", "/api/watch/push", {"subscription": subscription}, link["token"])


def metric(base: str, outcome: str) -> float:
    with urllib.request.urlopen(base + "/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(f'touchline_push_notices_total{{outcome="{outcome}"}}'):
                return float(line.split()[-1])
    return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--goals", type=int, default=100)
    parser.add_argument("--every", type=float, default=0.05, help="seconds between goals")
    args = parser.parse_args()
    scratch = ROOT / "bench" / ".scratch"
    scratch.mkdir(parents=True, exist_ok=True)
    endpoint, listener = hanging_service()
    answering, httpd = answering_service()
    env = {"TOUCHLINE_VAPID_PRIVATE_KEY": generate_private_key()}
    with (
        processes.fresh_database(args.database, scratch) as database_url,
        processes.touchline_server(database_url, scratch / "push-hang.log", env=env) as server,
    ):
        base = f"http://127.0.0.1:{server.port}"
        quiet, healthy, hanging = set_up(base), set_up(base), set_up(base)
        for setup in (quiet, healthy, hanging):
            push(base, setup, "kick_off", 0)
        for _ in range(SUBSCRIBERS):
            subscribe(base, answering, healthy["link"])
            subscribe(base, endpoint, hanging["link"])
        figures = {}
        phases = (
            ("no subscribers", quiet),
            ("200 on an answering service", healthy),
            ("200 on a hanging service", hanging),
        )
        for name, setup in phases:
            latencies = []
            for n in range(args.goals):
                latencies.append(push(base, setup, "goal", 1 + n % 89))
                time.sleep(args.every)  # a steady match day, so alerts pile up meanwhile
            figures[name] = workload.summary_ms(latencies)
            time.sleep(20)  # the phase's alerts drain or time out before the next one
        dropped = metric(base, "dropped")
    listener.close()
    httpd.shutdown()
    for name, summary in figures.items():
        print(f"/sync, one goal each, {name}: {summary}")
    for p in ("p50_ms", "p99_ms"):
        ratio = figures["200 on a hanging service"][p] / figures["200 on an answering service"][p]
        print(f"{p} hanging/answering: {ratio:.2f}")
    print(f"alerts dropped in all: {dropped:.0f}")


if __name__ == "__main__":
    main()
