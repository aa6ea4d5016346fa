"""Subscribing a browser to a share link's alerts, and forgetting it."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from backend.db.models import Match, PushSubscription
from backend.errors import Invalid
from backend.push.schemas import PushSubscribe
from backend.sharing.service import Grant


def check_endpoint(endpoint: str, *, allow_loopback_http: bool) -> None:
    """Refuse (422, ``subscription.endpoint``) anything but an https URL on a public
    host; ``http://127.0.0.1:<port>`` passes only with ``allow_loopback_http``."""
    field = "subscription.endpoint"
    try:
        url = urlsplit(endpoint)
        host = url.hostname or ""
        url.port  # noqa: B018 (parsing the port raises ValueError if it is malformed)
    except ValueError:
        raise Invalid("the push endpoint is not a URL", field=field) from None
    if url.username or url.password or not host:
        raise Invalid("the push endpoint must be an https URL with a host", field=field)
    if url.scheme == "http" and host == "127.0.0.1" and allow_loopback_http:
        return
    if url.scheme != "https":
        raise Invalid("the push endpoint must be an https URL", field=field)
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            raise Invalid("the push endpoint must be on a public host", field=field) from None
        return
    if not address.is_global:
        raise Invalid("the push endpoint must be on a public host", field=field)


def subscribe(
    db_session: Session, grant: Grant, data: PushSubscribe, *, allow_loopback_http: bool
) -> PushSubscription:
    """Subscribe the browser to the link's match from now on: nothing already logged is
    announced. Subscribing again (same link, same endpoint) replaces its keys and choices
    and keeps its place in the log."""
    check_endpoint(data.subscription.endpoint, allow_loopback_http=allow_loopback_http)
    subscription = db_session.scalars(
        select(PushSubscription).where(
            PushSubscription.link_id == grant.link_id,
            PushSubscription.endpoint == data.subscription.endpoint,
        )
    ).one_or_none()
    if subscription is None:
        head = db_session.scalar(select(Match.head_seq).where(Match.id == grant.match_id))
        subscription = PushSubscription(
            link_id=grant.link_id,
            match_id=grant.match_id,
            endpoint=data.subscription.endpoint,
            last_seq=head or 0,
        )
        db_session.add(subscription)
    subscription.p256dh = data.subscription.keys.p256dh
    subscription.auth = data.subscription.keys.auth
    subscription.goals = data.goals
    subscription.breaks = data.breaks
    subscription.cards = data.cards
    db_session.flush()
    return subscription


def unsubscribe(db_session: Session, grant: Grant, endpoint: str) -> None:
    """Forget the browser's subscription to this link; unknown endpoints are no error."""
    db_session.execute(
        delete(PushSubscription).where(
            PushSubscription.link_id == grant.link_id, PushSubscription.endpoint == endpoint
        )
    )
