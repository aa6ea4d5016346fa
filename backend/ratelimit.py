"""Rate limits: token buckets kept in each process; a request over one raises
:class:`backend.errors.RateLimited`.

What is limited, and by what key (README, "Rate limits"):

- a request with a credential that verifies, per verified credential: the device, or for a
  login token the account (``backend/accounts/auth.py``), so another spelling of the same
  token spends the same bucket, and a crowd behind one carrier NAT is not one budget;
- a request whose credential is missing or does not verify, per client address, with the
  anonymous rate (``auth.py`` again), so junk tokens cannot make fresh buckets;
- register, login, password resets and share-link views, per client address
  (``ops/observer.py``); never a CORS preflight;
- login attempts, per account e-mail (``accounts/router.py``), and every other check of an
  account's password (changing it or the e-mail, deleting the account);
- password-reset requests, per client address, and reset mails, per e-mail address
  (``accounts/router.py``).

Limits are per process: N instances allow N times as much.

Each kind of key has its own table, so one kind can never crowd out another. A table
forgets a bucket only once it has refilled to its burst, when forgetting it changes
nothing; a bucket that is limiting (or merely part spent) is never dropped. A table may
therefore grow past ``max_keys`` for as long as its buckets take to refill.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from backend.errors import RateLimited

MAX_KEYS = 100_000


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


@dataclass(frozen=True)
class Rates:
    """The configured limits, by what they limit."""

    credential: Rate
    anonymous: Rate
    login_attempts: Rate
    reset_requests: Rate
    reset_mails: Rate


def client_address(scope: Mapping[str, Any]) -> str:
    """The client's address (an ASGI scope's): behind a proxy listed in
    ``--forwarded-allow-ips``, the one that proxy reported."""
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class Limiter:
    """Buckets by ``(kind, key)``; safe to call from the event loop and worker threads."""

    def __init__(self, max_keys: int = MAX_KEYS) -> None:
        self.max_keys = max_keys
        self._tables: dict[str, OrderedDict[str, tuple[float, float]]] = {}
        self._lock = threading.Lock()

    def hit(self, kind: str, key: str, rate: Rate) -> int | None:
        """Spend one token from ``key``'s bucket; None if allowed, else the seconds to wait.
        Every key of one ``kind`` must be given the same ``rate``."""
        now = time.monotonic()
        with self._lock:
            table = self._tables.setdefault(kind, OrderedDict())
            tokens, last = table.pop(key, (float(rate.burst), now))
            tokens = min(float(rate.burst), tokens + (now - last) * rate.per_second)
            allowed = tokens >= 1
            table[key] = (tokens - 1 if allowed else tokens, now)
            self._forget_full(table, rate, now)
        if allowed:
            return None
        return max(1, math.ceil((1 - tokens) / rate.per_second))

    def check(self, kind: str, key: str, rate: Rate) -> None:
        wait = self.hit(kind, key, rate)
        if wait is not None:
            raise RateLimited(wait)

    def size(self, kind: str) -> int:
        with self._lock:
            return len(self._tables.get(kind, ()))

    def _forget_full(
        self, table: OrderedDict[str, tuple[float, float]], rate: Rate, now: float
    ) -> None:
        # Least recently touched first. If that one is still refilling, the table keeps it
        # and grows for now rather than look further: it shrinks again as buckets refill.
        while len(table) > self.max_keys:
            tokens, last = next(iter(table.values()))
            if tokens + (now - last) * rate.per_second < rate.burst:
                return
            table.popitem(last=False)
