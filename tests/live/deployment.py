"""Deployments for the live tests: a fresh, migrated database with ``touchline serve``
processes on it (several only on PostgreSQL, where instances can share a database)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.databases import fresh_database
from tests.e2e.server import Server, running_server, touchline


@dataclass
class Deployment:
    kind: str
    database_url: str
    servers: list[Server]

    @property
    def server(self) -> Server:
        return self.servers[0]


@contextmanager
def migrated_database(kind: str, directory: Path) -> Iterator[str]:
    with fresh_database(kind, directory) as database_url:
        result = touchline("db", "upgrade", "--database-url", database_url)
        assert result.returncode == 0, result.stderr
        yield database_url


@contextmanager
def deployment(kind: str, directory: Path, instances: int = 1) -> Iterator[Deployment]:
    """``instances`` servers on one new database; SQLite always gets exactly one."""
    with migrated_database(kind, directory) as database_url, ExitStack() as stack:
        count = instances if kind == "postgresql" else 1
        servers = [
            stack.enter_context(running_server(database_url, directory / f"server-{n}.log"))
            for n in range(count)
        ]
        yield Deployment(kind, database_url, servers)
