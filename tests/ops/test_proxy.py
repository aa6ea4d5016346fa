"""Proxy headers: only the configured proxy may say who the client is, and the address it
appended is the one taken, never one the client wrote into X-Forwarded-For itself."""

from __future__ import annotations

import ipaddress
import json
import shlex
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.databases import fresh_database
from tests.e2e.server import Server, free_port, running_server, touchline

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "198.51.100.7"  # what the proxy saw and appended


def _through_proxy(
    server: Server, method: str, path: str, forwarded_for: str, body: object = None
) -> int:
    """The status of a request that arrives from the loopback proxy with this header."""
    headers = {"X-Forwarded-For": forwarded_for, "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        server.base_url + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as error:
        with error:
            return error.code


def test_railway_trusts_only_its_private_proxy_range() -> None:
    with (ROOT / "railway.toml").open("rb") as file:
        command = shlex.split(tomllib.load(file)["deploy"]["startCommand"])
    trusted = command[command.index("--forwarded-allow-ips") + 1].split(",")

    assert "*" not in trusted
    for entry in trusted:
        network = ipaddress.ip_network(entry)
        assert network.is_private or network.subnet_of(ipaddress.ip_network("100.64.0.0/10"))
        assert not network.overlaps(ipaddress.ip_network("127.0.0.0/8"))


@pytest.mark.e2e
def test_a_client_cannot_claim_loopback_or_rotate_its_address_through_the_proxy(
    tmp_path: Path,
) -> None:
    # The test's own loopback connection plays the proxy: trusted, it appends CLIENT.
    limits = {
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "TOUCHLINE_ANONYMOUS_BURST": "3",
        "TOUCHLINE_ANONYMOUS_RATE_PER_SECOND": "0.01",
    }
    with (
        fresh_database("sqlite", tmp_path) as database_url,
        running_server(database_url, tmp_path / "server.log", env=limits, migrate=True) as server,
    ):
        metrics_direct = _through_proxy(server, "GET", "/metrics", "127.0.0.1")
        metrics_claimed = _through_proxy(server, "GET", "/metrics", f"127.0.0.1, {CLIENT}")
        logins = [
            _through_proxy(
                server,
                "POST",
                "/api/auth/login",
                f"203.0.113.{n}, {CLIENT}",  # a new first entry each time
                {"email": f"guess{n}@example.org", "password": "not the password"},
            )
            for n in range(5)
        ]
        elsewhere = _through_proxy(
            server,
            "POST",
            "/api/auth/login",
            "198.51.100.8",
            {"email": "guess@example.org", "password": "not the password"},
        )
        log = server.log(f"client={CLIENT}")

    # A request the proxy itself relays for a loopback client is loopback; a client that
    # only wrote 127.0.0.1 in front of its real address is not.
    assert metrics_direct == 200
    assert metrics_claimed == 404
    assert logins == [401, 401, 401, 429, 429]
    assert elsewhere == 401
    assert f"client={CLIENT}" in log
    assert "client=203.0.113." not in log


def test_production_refuses_to_trust_every_address(tmp_path: Path) -> None:
    env = {
        "TOUCHLINE_ENVIRONMENT": "production",
        "TOUCHLINE_SECRET_KEYS": "kR3v9Qw2LmX8pZ4tN6yB1cH5jD7fG0sA",
        "FORWARDED_ALLOW_IPS": "*",
    }
    database_url = f"sqlite:///{tmp_path / 'never.db'}"
    result = touchline("serve", "--port", str(free_port()), "--database-url", database_url, env=env)

    assert result.returncode != 0
    assert "--forwarded-allow-ips '*'" in result.stderr
    assert not (tmp_path / "never.db").exists()
