"""A retry budget: resubmits may be at most a share of first submissions.

When a backend starts failing most jobs, resubmitting each failed job multiplies the
load on it and the spend (every execution is paid for, failed or not): a retry storm.
A budget caps resubmits at ``ratio`` x the first submissions of the last ``window``
scenario seconds, plus ``floor`` (so a quiet service may still retry now and then), as
Finagle's RetryBudget and gRPC's retry throttling do. Past it, a failed job fails fast.

>>> from plumbing.clock import FakeClock
>>> budget = RetryBudget(FakeClock(), ratio=0.1, window=60.0, floor=1)
>>> for _ in range(20): budget.first()
>>> [budget.take() for _ in range(4)]
[True, True, True, False]
"""

from __future__ import annotations

import collections

from plumbing.clock import Clock

__all__ = ["RetryBudget"]


class RetryBudget:
    """Sliding-window count of first submissions and resubmits (see the module docstring)."""

    def __init__(self, clock: Clock, *, ratio: float, window: float = 60.0, floor: int = 1) -> None:
        if ratio < 0:
            raise ValueError(f"ratio must be >= 0, got {ratio}")
        self._clock = clock
        self.ratio = ratio
        self.window = window
        self.floor = floor
        self._firsts: collections.deque[float] = collections.deque()
        self._retries: collections.deque[float] = collections.deque()
        self.denied = 0

    def _trim(self) -> None:
        horizon = self._clock.now() - self.window
        for q in (self._firsts, self._retries):
            while q and q[0] < horizon:
                q.popleft()

    def first(self) -> None:
        """A job was submitted for the first time."""
        self._firsts.append(self._clock.now())

    def take(self) -> bool:
        """May one more resubmit go now? (Counts it when it may.)"""
        self._trim()
        if len(self._retries) < self.ratio * len(self._firsts) + self.floor:
            self._retries.append(self._clock.now())
            return True
        self.denied += 1
        return False
