"""``touchline share create|list|revoke``: a match's share links, through the sharing
service, with the operator's authority over every match."""

from __future__ import annotations

import argparse

from sqlalchemy.orm import Session

from backend.commands import (
    CommandError,
    DatabaseOption,
    Group,
    Operator,
    Row,
    add_command,
    add_group,
    parse_uuid,
    revoke_row,
    validated,
)
from backend.db.models import Match, ShareLink
from backend.sharing import service
from backend.sharing.schemas import LINK_MAX_HOURS, ShareLinkCreate
from backend.sharing.tokens import ShareTokens
from backend.signing_keys import signing_keys


def _tokens(operator: Operator) -> ShareTokens:
    return ShareTokens(signing_keys(operator.settings, operator.db))


def _link_row(link: ShareLink, tokens: ShareTokens) -> Row:
    token = tokens.issue(link.id)
    return {
        "id": str(link.id),
        "match_id": str(link.match_id),
        "names": link.names,
        "expires_at": link.expires_at,
        "revoked_at": link.revoked_at,
        "path": f"/watch#{token}",
        "result_path": f"/watch?t={token}",
    }


def _match(session: Session, value: str) -> Match:
    match_id = parse_uuid(value, "MATCH_ID")
    match = session.get(Match, match_id)
    if match is None or match.deleted_at is not None:
        raise CommandError(f"no match {match_id}")
    return match


def share_create(operator: Operator, args: argparse.Namespace) -> Row:
    hours = None if args.until_revoked else args.hours
    data = validated(ShareLinkCreate, expires_in_hours=hours, names=args.names)
    tokens = _tokens(operator)
    with operator.db.writer() as session:
        link = service.open_link(session, _match(session, args.match_id), data, created_by=None)
        session.commit()
        return _link_row(link, tokens)


def share_list(operator: Operator, args: argparse.Namespace) -> list[Row]:
    match_id = parse_uuid(args.match_id, "MATCH_ID")
    tokens = _tokens(operator)
    with operator.db.reader() as session:
        return [_link_row(link, tokens) for link in service.match_links(session, match_id)]


def share_revoke(operator: Operator, args: argparse.Namespace) -> Row:
    link_id = parse_uuid(args.link_id, "LINK_ID")
    return revoke_row(operator, ShareLink, link_id, "share link", service.revoke)


def add_commands(commands: Group, database_option: DatabaseOption) -> None:
    share = add_group(commands, "share", "share links")
    create = add_command(
        share, "create", "create a share link for a match", share_create, database_option
    )
    create.add_argument("match_id", metavar="MATCH_ID")
    lasting = create.add_mutually_exclusive_group()
    lasting.add_argument(
        "--hours", type=int, default=72, help=f"valid for (1 to {LINK_MAX_HOURS}; default 72)"
    )
    lasting.add_argument(
        "--until-revoked", action="store_true", help="valid until revoked: no expiry"
    )
    create.add_argument(
        "--names", choices=["initials", "first_names", "full_names"], default="first_names"
    )
    listing = add_command(
        share, "list", "list a match's share links, newest first", share_list, database_option
    )
    listing.add_argument("match_id", metavar="MATCH_ID")
    revoke = add_command(
        share, "revoke", "revoke a share link (viewers are disconnected)", share_revoke,
        database_option,
    )  # fmt: skip
    revoke.add_argument("link_id", metavar="LINK_ID")
