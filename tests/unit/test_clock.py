import asyncio

import pytest

from harness.durations import fmt_duration, parse_duration
from plumbing.clock import FakeClock, ScaledClock


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90", 90.0), (90, 90.0), ("90s", 90.0), ("5m", 300.0), ("1h30m", 5400.0),
     ("250ms", 0.25), ("2d", 172800.0), ("1.5m", 90.0), (" 2m 30s ", 150.0)],
)  # fmt: skip
def test_parse_duration_accepts_common_forms(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["", "soon", "5 minutes", "m5", "-3s", -1, True, None, "1h-5m"])
def test_parse_duration_rejects_nonsense(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


def test_fmt_duration():
    assert fmt_duration(None) == "—"
    assert fmt_duration(5.25) == "5.2s"
    assert fmt_duration(42) == "42s"
    assert fmt_duration(125) == "2m05s"
    assert fmt_duration(3 * 3600 + 60) == "3h01m"
    assert fmt_duration(28 * 86400) == "28d"
    assert fmt_duration(50 * 3600) == "2d02h"


def test_scaled_clock_reads_zero_until_started():
    clock = ScaledClock(60, started=False)
    assert clock.now() == 0.0
    assert clock.to_wall(120) == 2.0
    with pytest.raises(ValueError, match="time_scale"):
        ScaledClock(0)


async def test_fake_clock_wakes_sleepers_in_deadline_order():
    clock = FakeClock()
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await clock.sleep(seconds)
        woke.append((name, clock.now()))

    tasks = [asyncio.create_task(sleeper(n, s)) for n, s in (("b", 20), ("a", 10), ("c", 30))]
    await asyncio.sleep(0)
    assert clock.sleepers == 3
    await clock.advance(25)
    assert woke == [("a", 10), ("b", 20)]
    assert clock.now() == 25
    await clock.advance(5)
    assert woke[-1] == ("c", 30)
    await asyncio.gather(*tasks)
