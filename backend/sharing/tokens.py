"""Share tokens: itsdangerous-signed, naming one share-link row and nothing else.

The salt ``touchline.share`` keeps them from ever verifying as another kind of token, and
the list of keys (newest last signs) lets keys rotate: a link stays valid while the key it
was signed with is still listed. The token carries no personal data; the row it names
decides whether it still works.
"""

from __future__ import annotations

import uuid

from itsdangerous import BadSignature, URLSafeSerializer

SHARE_SALT = "touchline.share"


class ShareTokens:
    def __init__(self, secret_keys: list[str]):
        self._serializer = URLSafeSerializer(secret_keys, salt=SHARE_SALT)

    def issue(self, link_id: uuid.UUID) -> str:
        return str(self._serializer.dumps(link_id.hex))

    def link_id(self, token: str) -> uuid.UUID | None:
        """The share-link id the token names, or None if it is not one we signed."""
        try:
            value = self._serializer.loads(token)
            return uuid.UUID(hex=value) if isinstance(value, str) else None
        except (BadSignature, ValueError):
            return None
