"""The fleet is the backup, in a real browser: a coach's phone logs a half offline and
syncs, the server's database is restored to before that, and when the phone reconnects
it gives the half back; the family link shows the whole match again."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.browser import pitchside
from tests.browser.pitchside import clock, open_match, phone, screen_events, sign_in, tap
from tests.e2e.server import touchline
from tests.sync.clubs import ground

pytestmark = pytest.mark.e2e


def test_a_phone_gives_a_restored_server_back_the_half_it_logged(
    browser: Browser, tmp_path: Path
) -> None:
    backup = tmp_path / "before-the-match.db"
    with ground("sqlite", tmp_path) as pitch:
        with pitch.server() as server:
            club = pitchside.club(server)
            pitchside.match(club, "Rovers")
            context = phone(browser)
            page = context.new_page()
            sign_in(page, pitch.base_url, club.email, club.team_name)
            match_id = open_match(page, "Rovers")
            taken = touchline("db", "backup", str(backup), "--database-url", pitch.database_url)
            assert taken.returncode == 0, taken.stderr

            context.set_offline(True)
            clock(page, "Kick-off")
            tap(page, "Goal", "9 Ade")
            tap(page, "Save", "1 Sam")
            tap(page, "Goal", "Opposition")
            tap(page, "Goal", "10 Mia")
            clock(page, "Half-time")
            on_phone = set(screen_events(page))
            context.set_offline(False)
            pitchside.wait_synced(page)
            assert {e["id"] for e in pitchside.server_events(club, match_id)} == on_phone

        restored = touchline("db", "restore", str(backup), "--database-url", pitch.database_url)
        assert restored.returncode == 0, restored.stderr
        with pitch.server() as server:
            club.server = server
            assert pitchside.server_events(club, match_id) == []
            page.reload()  # the phone comes back: its app starts and syncs
            page.locator("#toast", has_text="6 events restored from this phone").wait_for()
            pitchside.wait_synced(page)
            stored = pitchside.server_events(club, match_id)
            link = server.request(
                "POST", f"/api/matches/{match_id}/share-links", {"names": "first_names"}, club.token
            )
            assert link.status == 201, link.body
            family = context.new_page()
            family.goto(pitch.base_url + link.body["result_path"])
            family.locator("#connection.live").wait_for()
            shown = family.eval_on_selector_all(
                ".timeline [data-event-id]", "items => items.map(i => i.dataset.eventId)"
            )
            score = pitchside.screen_score(family)
            repairs = touchline("db", "repairs", "--database-url", pitch.database_url)
            context.close()

    assert sorted(e["id"] for e in stored) == sorted(on_phone)
    assert set(shown) == on_phone
    assert score == (2, 1)
    assert repairs.stdout.strip() == "6 records repaired by 1 device since the restore"
