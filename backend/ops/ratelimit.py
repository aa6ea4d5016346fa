"""Rate limits: token buckets kept in each process (RateLimited lives here, with them).

Keys are the caller's credential when it has one (a whole crowd shares one IP behind a
carrier's NAT, so an IP is a poor key for coaches), and the client IP for unauthenticated
routes (register, login, share-link views), with a looser limit. Login attempts are also
limited per account. Limits are per process: N instances allow N times as much.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from backend.errors import TouchlineError

MAX_KEYS = 100_000


class RateLimited(TouchlineError):
    status = 429
    code = "rate_limited"

    def __init__(self, retry_after: int):
        super().__init__(f"too many requests; retry in {retry_after} s")
        self.retry_after = retry_after
        self.headers = {"Retry-After": str(retry_after)}


@dataclass(frozen=True)
class Rate:
    per_second: float
    burst: int


class Limiter:
    def __init__(self) -> None:
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def hit(self, key: str, rate: Rate) -> int | None:
        """Spend one token for ``key``; None if allowed, else the seconds to wait."""
        now = time.monotonic()
        tokens, last = self._buckets.pop(key, (float(rate.burst), now))
        tokens = min(float(rate.burst), tokens + (now - last) * rate.per_second)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            allowed = True
        else:
            self._buckets[key] = (tokens, now)
            allowed = False
        while len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)
        if allowed:
            return None
        return max(1, math.ceil((1 - tokens) / rate.per_second))

    def check(self, key: str, rate: Rate) -> None:
        wait = self.hit(key, rate)
        if wait is not None:
            raise RateLimited(wait)


def credential_key(authorization: str) -> str:
    return "cred:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
