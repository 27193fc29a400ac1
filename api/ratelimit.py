"""Requests per minute per client IP, as a sliding window.

A sliding log (the request times of the last 60 s) is exact, unlike a fixed
window that lets a client send twice the limit across a minute boundary; at
the limits this service uses (tens per minute) the log stays tiny.
Only the answering endpoints are limited: they cost CPU, the rest are lookups.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 60.0
_MAX_CLIENTS = 10_000  # above this, clients idle for a whole window are forgotten


class SlidingWindowLimiter:
    """``limiter.acquire(ip)`` returns None when allowed, else the seconds to wait.

    >>> limiter = SlidingWindowLimiter(2)
    >>> limiter.acquire("10.0.0.1"), limiter.acquire("10.0.0.1"), limiter.acquire("10.0.0.1") is not None
    (None, None, True)
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0 (0 turns limiting off)")
        self.per_minute = per_minute
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}

    def acquire(self, client: str) -> int | None:
        if self.per_minute == 0:
            return None
        now = self.clock()
        times = self._seen.setdefault(client, deque())
        while times and times[0] <= now - WINDOW_SECONDS:
            times.popleft()
        if len(times) >= self.per_minute:
            return max(1, math.ceil(times[0] + WINDOW_SECONDS - now))
        times.append(now)
        if len(self._seen) > _MAX_CLIENTS:
            self._forget_idle(now)
        return None

    def _forget_idle(self, now: float) -> None:
        for client in [c for c, times in self._seen.items() if not times or times[-1] <= now - WINDOW_SECONDS]:
            del self._seen[client]
