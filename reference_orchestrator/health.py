"""Per-backend health of the orchestrator: a circuit breaker on transport failures.

Only calls that got no answer count (timeouts, refused or dropped connections): a
backend that answers, even with an error, is reachable. After ``threshold``
consecutive failures the breaker opens for ``cooldown`` scenario seconds; then it is
half-open, and the next call is a probe: success closes it, failure opens it again.

>>> h = BackendHealth(clock, threshold=2, cooldown=30)      # doctest: +SKIP
>>> h.failure(); h.failure(); h.state                       # doctest: +SKIP
<Breaker.OPEN: 'open'>
"""

from __future__ import annotations

from enum import StrEnum

from plumbing.clock import Clock

__all__ = ["BackendHealth", "Breaker"]


class Breaker(StrEnum):
    """closed: in use · open: left alone · half_open: one probe may go."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class BackendHealth:
    """Consecutive transport failures of one backend, and the breaker state they imply."""

    def __init__(self, clock: Clock, *, threshold: int = 3, cooldown: float = 30.0) -> None:
        if threshold < 1:
            raise ValueError(f"threshold must be at least 1, got {threshold}")
        self._clock = clock
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self._open_until = 0.0
        self._probe_until = 0.0

    @property
    def state(self) -> Breaker:
        if self.failures < self.threshold:
            return Breaker.CLOSED
        if self._clock.now() < self._open_until:
            return Breaker.OPEN
        return Breaker.HALF_OPEN

    @property
    def closed(self) -> bool:
        """Healthy: new work may go here."""
        return self.state is Breaker.CLOSED

    def admit(self) -> bool:
        """May a call go now? Always when closed; one probe per cooldown when half-open."""
        state = self.state
        if state is Breaker.CLOSED:
            return True
        now = self._clock.now()
        if state is Breaker.OPEN or now < self._probe_until:
            return False
        self._probe_until = now + self.cooldown  # a probe that never reports expires
        return True

    def success(self) -> None:
        """The backend answered: close the breaker."""
        self.failures = 0
        self._open_until = self._probe_until = 0.0

    def failure(self) -> None:
        """A call got no answer; the threshold-th in a row (or a failed probe) opens it."""
        self.failures += 1
        self._probe_until = 0.0
        if self.failures >= self.threshold:
            self._open_until = self._clock.now() + self.cooldown
