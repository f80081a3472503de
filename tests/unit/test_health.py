"""The orchestrator's per-backend circuit breaker, on a fake clock."""

from __future__ import annotations

import pytest

from plumbing.clock import FakeClock
from reference_orchestrator.health import BackendHealth, Breaker


async def test_opens_after_threshold_then_half_opens_for_one_probe():
    clock = FakeClock()
    h = BackendHealth(clock, threshold=3, cooldown=30)
    h.failure()
    h.failure()
    assert (h.state, h.admit()) == (Breaker.CLOSED, True)  # two misses are noise
    h.failure()
    assert (h.state, h.admit()) == (Breaker.OPEN, False)
    await clock.advance(29.9)
    assert h.state is Breaker.OPEN
    await clock.advance(0.1)
    assert h.state is Breaker.HALF_OPEN
    assert h.admit() is True  # one probe ...
    assert h.admit() is False  # ... at a time
    h.failure()  # the probe failed: open for another cooldown
    assert h.state is Breaker.OPEN
    await clock.advance(30)
    assert h.admit() is True
    h.success()
    assert (h.state, h.closed, h.failures) == (Breaker.CLOSED, True, 0)


async def test_a_probe_that_never_reports_expires():
    clock = FakeClock()
    h = BackendHealth(clock, threshold=1, cooldown=10)
    h.failure()
    await clock.advance(10)
    assert h.admit() is True
    assert h.admit() is False
    await clock.advance(10)  # the probe's caller vanished: another may go
    assert h.admit() is True


def test_success_resets_the_count():
    h = BackendHealth(FakeClock(), threshold=2)
    h.failure()
    h.success()
    h.failure()
    assert h.state is Breaker.CLOSED
    with pytest.raises(ValueError, match="threshold"):
        BackendHealth(FakeClock(), threshold=0)
