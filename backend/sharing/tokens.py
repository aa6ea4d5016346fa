"""Signed tokens that name one row and nothing else: share links, and (with a salt of their
own) team invites.

Each purpose has its own salt, so a token never verifies as another kind of token, and the
list of keys (newest last signs) lets keys rotate: a token stays valid while the key it was
signed with is still listed. A token carries no personal data; the row it names decides
whether it still works. A token is accepted only in the exact spelling it was issued in.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadData, BadSignature, URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode

SHARE_SALT = "touchline.share"


def canonical(token: str) -> bool:
    """True if each dot-separated part of an itsdangerous token is unpadded URL-safe base64
    exactly as the signer writes it. Decoding alone forgives padding (a trailing ``=``),
    stray characters and spare low bits, so one token would have many spellings."""
    if not token.isascii():
        return False
    try:
        return all(base64_encode(base64_decode(part)).decode() == part for part in token.split("."))
    except BadData:
        return False


class RowTokens:
    """Issue and check tokens naming one row by its id, signed for the purpose ``salt``."""

    def __init__(self, secret_keys: list[str], salt: str):
        self._serializer = URLSafeSerializer(secret_keys, salt=salt)

    def issue(self, row_id: uuid.UUID) -> str:
        return str(self._serializer.dumps(row_id.hex))

    def row_id(self, token: str) -> uuid.UUID | None:
        """The id the token names, or None if it is not one we signed for this purpose."""
        if not canonical(token):
            return None
        try:
            value = self._serializer.loads(token)
            return uuid.UUID(hex=value) if isinstance(value, str) else None
        except (BadSignature, ValueError):
            return None


class ShareTokens(RowTokens):
    def __init__(self, secret_keys: list[str]):
        super().__init__(secret_keys, SHARE_SALT)

    def link_id(self, token: str) -> uuid.UUID | None:
        """The share-link id the token names, or None if it is not a share token we signed."""
        return self.row_id(token)
