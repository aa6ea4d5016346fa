"""Phones racing to use one reset link, through a real server process that mails it: the
link sets a password exactly once, however the requests interleave."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.databases import migrated_database
from tests.e2e.server import free_port, running_server
from tests.mailbox import smtp_server

pytestmark = pytest.mark.e2e

PHONES = 5


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_reset_link_sets_a_password_once_under_a_race(kind: str, tmp_path: Path) -> None:
    port = free_port()
    with (
        smtp_server() as mailbox,
        migrated_database(kind, tmp_path) as url,
        running_server(
            url,
            tmp_path / "server.log",
            port=port,
            env={
                "TOUCHLINE_SMTP_URL": mailbox.url,
                "TOUCHLINE_MAIL_FROM": "touchline@example.org",
                "TOUCHLINE_PUBLIC_URL": f"http://127.0.0.1:{port}",
            },
        ) as server,
    ):
        email = "racer@example.org"
        server.sign_up(email)
        asked = server.request("POST", "/api/auth/reset-request", {"email": email})
        assert asked.status == 202, asked.body
        token = mailbox.next().link.partition("#reset=")[2]
        start = threading.Barrier(PHONES)
        answers: list[tuple[int, str]] = []

        def use(n: int) -> None:
            start.wait(timeout=30)
            password = f"password number {n}"
            answer = server.request(
                "POST", "/api/auth/reset", {"token": token, "new_password": password}
            )
            answers.append((answer.status, password))

        threads = [threading.Thread(target=use, args=(n,)) for n in range(PHONES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert sorted(status for status, _ in answers) == [200] + [410] * (PHONES - 1)
        [winner] = [password for status, password in answers if status == 200]
        for _, password in answers:
            login = server.request(
                "POST", "/api/auth/login", {"email": email, "password": password}
            )
            assert login.status == (200 if password == winner else 401), password
