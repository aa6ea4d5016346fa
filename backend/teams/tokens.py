"""Invite tokens: signed like share tokens, with a salt of their own, naming one
``team_invites`` row and nothing else. The row decides (expiry, revocation, uses left)."""

from __future__ import annotations

from backend.sharing.tokens import RowTokens

INVITE_SALT = "touchline.invite"


class InviteTokens(RowTokens):
    def __init__(self, secret_keys: list[str]):
        super().__init__(secret_keys, INVITE_SALT)
