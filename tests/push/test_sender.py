"""The sender's claim: of all instances, exactly one takes each subscription's new events."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from backend.app import create_app
from backend.db.engine import Database
from backend.db.models import PushSubscription, ShareLink, utcnow
from backend.metrics import Metrics
from backend.push.sender import PushSender
from backend.settings import Settings
from backend.vapid_keys import generate_private_key
from tests import factories
from tests.databases import migrated_database
from tests.push.test_subscriptions import browser_subscription

KEY = generate_private_key()


def test_one_instance_claims_each_alert_and_expired_links_lose_their_subscriptions(
    tmp_path: Path,
) -> None:
    with migrated_database("postgresql", tmp_path) as url:
        db = Database.connect(url)
        settings = Settings(
            environment="test", database_url=url, vapid_private_key=KEY,
            secret_keys=["k" * 16 + "0123456789abcdefghij"],
        )  # fmt: skip
        # Not entered as a context: its own sender must not start and race the two here.
        client = TestClient(create_app(settings, database=db))
        coach = factories.coach(client)
        team_id = factories.team(client, coach)
        player_id = factories.player(client, coach, team_id, 7, "Zara")
        match_id = factories.match(client, coach, team_id)
        link = client.get(f"/api/matches/{match_id}/share", headers=coach).json()
        subscribed = client.post(
            "/api/watch/push",
            json={"subscription": browser_subscription()},
            headers={"Authorization": f"Bearer {link['token']}"},
        )
        assert subscribed.status_code == 200, subscribed.text
        factories.event(client, coach, match_id, "kick_off")
        factories.event(client, coach, match_id, "goal", minute=9, player_id=player_id)
        tokens = client.app.state.share_tokens  # type: ignore[attr-defined]
        first, second = (
            PushSender(db, KEY, "mailto:a@b.c", Metrics().push_notices, tokens) for _ in "ab"
        )

        with db.writer() as claiming:
            claiming.execute(select(PushSubscription).with_for_update()).all()
            assert second.claim() == []
            claiming.rollback()
        [delivery] = first.claim()
        assert delivery.notice.body == "Reds U10 1\u20130 Blues (Zara, 9')"
        assert delivery.url == f"/watch#{link['token']}"
        assert second.claim() == []
        assert first.claim() == []

        assert first.purge() == 0
        with db.writer() as expiring:
            expiring.execute(update(ShareLink).values(expires_at=utcnow() - timedelta(seconds=1)))
            expiring.commit()
        assert first.purge() == 1
        with db.reader() as reading:
            assert reading.scalars(select(PushSubscription)).all() == []
        db.dispose()
