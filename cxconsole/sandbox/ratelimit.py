"""A sliding-window call limiter per key, as QuestionPro applies per API key."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable


class SlidingWindowLimiter:
    """At most ``limit`` admitted calls per ``period`` seconds for each key.

    Refused calls do not enter the window: a client that backs off for Retry-After seconds
    is always let through then.
    """

    def __init__(
        self, limit: int, period: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.period = period
        self._clock = clock
        self._calls: dict[str, deque[float]] = {}

    def acquire(self, key: str) -> int | None:
        """Admit a call (None) or refuse it with the whole seconds to wait (Retry-After)."""
        now = self._clock()
        calls = self._calls.setdefault(key, deque())
        while calls and calls[0] <= now - self.period:
            calls.popleft()
        if len(calls) >= self.limit:
            # The oldest call leaves the window at calls[0] + period; round up so a client
            # that waits exactly Retry-After seconds is admitted.
            return max(1, math.ceil(calls[0] + self.period - now))
        calls.append(now)
        return None

    def clear(self) -> None:
        self._calls.clear()
