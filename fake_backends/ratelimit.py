"""Token buckets per client on the scenario clock (for ``api.rate_limit``)."""

from __future__ import annotations

from plumbing.clock import Clock

__all__ = ["TokenBuckets"]


class TokenBuckets:
    """``rate`` requests per scenario second per key, with bursts of ``burst``.

    >>> buckets = TokenBuckets(clock, rate=1.0, burst=2)   # doctest: +SKIP
    >>> buckets.take("tenant-a")        # 0.0: allowed
    >>> buckets.take("tenant-a")        # 0.0
    >>> buckets.take("tenant-a")        # 1.0: refused, retry in 1 scenario second
    """

    def __init__(self, clock: Clock, *, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate must be > 0 and burst >= 1, got {rate}, {burst}")
        self._clock = clock
        self.rate = rate
        self.burst = burst
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """Spend one token: 0.0 if allowed, else scenario seconds until one is available."""
        now = self._clock.now()
        tokens, at = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate
