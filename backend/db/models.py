"""The ORM tables. They mirror ``schema.sql`` exactly; a test compares the two.

Sync spaces and sequence numbers: a team's roster and each match are sync spaces. The space
row (``teams`` / ``matches``) holds ``head_seq``, the last number handed out in it; every row
in the space holds ``seq``, the number of its latest change. A writer takes the next number
by incrementing ``head_seq`` in its transaction, which locks the space row until commit, so
numbers in one space become visible in order and a reader holding ``seq <= n`` can never
later find a change numbered below ``n``. Deletions keep the row with ``deleted_at`` set (a
tombstone) so readers behind the head learn of them.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    ColumnElement,
    DateTime,
    Dialect,
    Enum,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    Text,
    TypeDecorator,
    Uuid,
    func,
    or_,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sync_protocol.match import EventKind, MatchStatus, Side

SCHEMA = "grassroots"


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """``timestamptz`` on PostgreSQL; on SQLite, text. Always read back in UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; give a timezone")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else in_utc(value)


# The zones psycopg names for a PostgreSQL session in UTC (``ZoneInfo("Etc/UTC")``, ...).
_UTC_ZONE_KEYS = frozenset({"UTC", "Etc/UTC"})


def in_utc(value: datetime) -> datetime:
    """``value`` as a time in UTC. Naive (SQLite's text) is UTC already. PostgreSQL answers
    in the session's time zone: UTC as a rule, local time on some managed servers, which
    is converted (the same instant, sent in UTC like every other time)."""
    zone = value.tzinfo
    if zone is None:
        return value.replace(tzinfo=UTC)
    if zone is UTC or getattr(zone, "key", None) in _UTC_ZONE_KEYS:
        return value
    return value.astimezone(UTC)


def _enum(enum_class: type[Any], name: str) -> Enum:
    return Enum(
        enum_class,
        name=name,
        schema=SCHEMA,
        values_callable=lambda members: [member.value for member in members],
        create_constraint=True,
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(
        schema=SCHEMA,
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s",
            "pk": "pk_%(table_name)s",
        },
    )
    type_annotation_map = {datetime: UTCDateTime(), uuid.UUID: Uuid()}


def _member_role() -> Enum:
    """A coach's role in a team; an invitation carries the role it grants. A member reads
    what a coach reads and writes nothing."""
    return Enum(
        "owner", "coach", "member", name="member_role", schema=SCHEMA, create_constraint=True
    )


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow, server_default=func.now())


class ServerMeta(Base):
    """One row naming this database's generation; a cursor from another one is reset."""

    __tablename__ = "server_meta"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    generation: Mapped[uuid.UUID]
    created_at: Mapped[datetime] = _created()
    # Signs tokens when no keys are configured; made by the first server to start.
    signing_key: Mapped[str | None] = mapped_column(Text)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    email: Mapped[str] = mapped_column(Text, unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    display_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    # Login tokens carry the generation they were issued in; "sign out everywhere" raises
    # it, so every login token issued before is refused.
    token_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class RevokedLoginToken(Base):
    """A login token its coach signed out with; refused from then on."""

    __tablename__ = "revoked_login_tokens"

    token_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    revoked_at: Mapped[datetime] = _created()


class Device(Base):
    __tablename__ = "devices"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str] = mapped_column(Text, unique=True)
    created_at: Mapped[datetime] = _created()
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_mutation_id: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The position of the device's last pull, per sync space (JSON), kept so the server
    # can say how far behind the head each device is.
    sync_position: Mapped[str | None] = mapped_column(Text)
    synced_at: Mapped[datetime | None]


class Team(Base):
    __tablename__ = "teams"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    # The roster sequence number of the team record's latest change (rename, role change).
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    deleted_at: Mapped[datetime | None]


class Membership(Base):
    __tablename__ = "memberships"

    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(_member_role())
    created_at: Mapped[datetime] = _created()


class TeamDeparture(Base):
    """An account that left a team, was removed from it, or lost it when it was deleted;
    removed again when the account rejoins."""

    __tablename__ = "team_departures"
    __table_args__ = (CheckConstraint("reason IN ('left', 'removed', 'deleted')", name="reason"),)

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    reason: Mapped[str] = mapped_column(Text)
    departed_at: Mapped[datetime] = _created()


class TeamInvite(Base):
    """An owner's invitation to join a team. The signed token names this row; the row
    decides: expiry, revocation, uses left, and the role a coach who accepts gets."""

    __tablename__ = "team_invites"
    __table_args__ = (
        CheckConstraint("max_uses BETWEEN 1 AND 100", name="max_uses_range"),
        CheckConstraint("uses BETWEEN 0 AND max_uses", name="uses_range"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    role: Mapped[str] = mapped_column(_member_role(), default="coach", server_default="coach")
    max_uses: Mapped[int] = mapped_column(SmallInteger, default=1, server_default="1")
    uses: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class TeamCalendar(Base):
    """A team's calendar feed. The signed token in its URL names this row; the row decides
    (a rotated feed is revoked, and its URL stops working)."""

    __tablename__ = "team_calendars"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _created()
    revoked_at: Mapped[datetime | None]


class Player(Base):
    __tablename__ = "players"
    __table_args__ = (
        CheckConstraint("squad_number BETWEEN 0 AND 99", name="squad_number_range"),
        Index(None, "team_id", "seq"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    squad_number: Mapped[int | None] = mapped_column(SmallInteger)
    display_name: Mapped[str] = mapped_column(Text)
    full_name: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    deleted_at: Mapped[datetime | None]
    seq: Mapped[int] = mapped_column(BigInteger)
    # When the player's names were overwritten (erasure); such a player is deleted too.
    erased_at: Mapped[datetime | None]


class Match(Base):
    __tablename__ = "matches"
    __table_args__ = (
        CheckConstraint("periods BETWEEN 1 AND 4", name="periods_range"),
        CheckConstraint("period_minutes BETWEEN 1 AND 60", name="period_minutes_range"),
        CheckConstraint("current_period BETWEEN 0 AND 4", name="current_period_range"),
        Index(None, "team_id", "kickoff_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    team_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    opponent: Mapped[str] = mapped_column(Text)
    is_home: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    kickoff_at: Mapped[datetime]
    venue: Mapped[str | None] = mapped_column(Text)
    competition: Mapped[str | None] = mapped_column(Text)
    periods: Mapped[int] = mapped_column(SmallInteger, default=2, server_default="2")
    period_minutes: Mapped[int] = mapped_column(SmallInteger, default=45, server_default="45")
    # Cached fold of the period markers (sync_protocol.match.fold_markers), for queries.
    status: Mapped[MatchStatus] = mapped_column(
        _enum(MatchStatus, "match_status"),
        default=MatchStatus.SCHEDULED,
        server_default=MatchStatus.SCHEDULED.value,
    )
    current_period: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    period_started_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    deleted_at: Mapped[datetime | None]
    head_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    lineup_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Event(Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("period BETWEEN 1 AND 4", name="period_range"),
        CheckConstraint("minute BETWEEN 0 AND 150", name="minute_range"),
        CheckConstraint("stoppage BETWEEN 0 AND 30", name="stoppage_range"),
        Index(None, "match_id", "seq", unique=True),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    match_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("matches.id", ondelete="CASCADE"))
    kind: Mapped[EventKind] = mapped_column(_enum(EventKind, "event_kind"))
    side: Mapped[Side] = mapped_column(_enum(Side, "event_side"))
    period: Mapped[int] = mapped_column(SmallInteger)
    minute: Mapped[int] = mapped_column(SmallInteger)
    stoppage: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    player_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("players.id"), index=True)
    replaced_player_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("players.id"))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime | None]
    # Only on a goal: the player who set it up.
    assist_player_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("players.id"))
    device_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("devices.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = _created()
    updated_at: Mapped[datetime] = _created()
    deleted_at: Mapped[datetime | None]
    seq: Mapped[int] = mapped_column(BigInteger)


class LineupEntry(Base):
    __tablename__ = "lineup"

    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), primary_key=True
    )
    player_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("players.id"), primary_key=True)
    role: Mapped[str] = mapped_column(
        Enum("starting", "bench", name="lineup_role", schema=SCHEMA, create_constraint=True)
    )
    position: Mapped[str | None] = mapped_column(Text)


class MutationOutcome(Base):
    """A mutation that was processed but not applied (rejected or in conflict).

    Its id is still covered by the device's ``last_mutation_id``; the outcome is kept so a
    device that lost the response and resends the mutation is told the same verdict.
    """

    __tablename__ = "mutation_outcomes"
    __table_args__ = (CheckConstraint("verdict IN ('rejected', 'conflict')", name="verdict_kind"),)

    device_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), primary_key=True
    )
    mutation_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    verdict: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    message: Mapped[str] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = _created()


class ShareLink(Base):
    """A read-only view of one match. The signed token names this row; the row decides."""

    __tablename__ = "share_links"
    __table_args__ = (
        CheckConstraint("names IN ('initials', 'first_names', 'full_names')", name="names_kind"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    created_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("accounts.id", ondelete="SET NULL")
    )
    names: Mapped[str] = mapped_column(Text, default="first_names", server_default="first_names")
    created_at: Mapped[datetime] = _created()
    expires_at: Mapped[datetime | None]
    """None: the link works until it is revoked."""
    revoked_at: Mapped[datetime | None]

    def expired(self, now: datetime) -> bool:
        """Whether the link's time is up at ``now``: never for one lasting until revoked."""
        return self.expires_at is not None and self.expires_at <= now

    @classmethod
    def unexpired(cls, now: datetime) -> ColumnElement[bool]:
        """:meth:`expired`'s opposite, in SQL."""
        return or_(cls.expires_at.is_(None), cls.expires_at > now)


class PushSubscription(Base):
    """A browser that asked for Web Push alerts about a share link's match; it dies with the
    link. ``last_seq`` is how far through the match's change log it has been told about."""

    __tablename__ = "push_subscriptions"
    __table_args__ = (Index(None, "link_id", "endpoint", unique=True),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"))
    match_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("matches.id", ondelete="CASCADE"), index=True
    )
    endpoint: Mapped[str] = mapped_column(Text)
    p256dh: Mapped[str] = mapped_column(Text)
    auth: Mapped[str] = mapped_column(Text)
    goals: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    breaks: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    cards: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    created_at: Mapped[datetime] = _created()


class PushAnnouncement(Base):
    """What a subscription was told about one event, so an edit or delete of it sends a
    correction rather than silence."""

    __tablename__ = "push_announcements"

    subscription_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("push_subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    event_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class Repair(Base):
    """How many records one device restored (the repair step) in one database generation."""

    __tablename__ = "repairs"

    generation: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    device_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    records: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = _created()
