"""Error-budget burn rates and the multiwindow burn-rate page (SRE workbook, chapter 5).

The burn rate of an SLO over a window ``(t - W, t]`` is the error rate of the SLI
events in that window divided by the error rate the SLO allows::

    burn(t, W) = (bad / total) / (1 - objective)          (None: no events in the window)

A burn rate of 1 spends exactly the budget over the SLO period; 14.4 spends 2% of a
30-day budget in one hour. A rule ``(factor, long, short)`` pages at ``t`` when both
``burn(t, long)`` and ``burn(t, short)`` exceed ``factor`` (the short window makes the
page reset quickly once the burn stops). The rules are evaluated at every tick end;
their windows are multiplied by the scenario's ``window_scale`` so that hour-long
windows fit a compressed game day.

Figures reported: the burn-rate timeline (per tick end, each SLO's burn over the
first rule's short window), the peak of that timeline, and the first page.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from harness.scoring.config import BurnRule, SloSpec
from harness.scoring.events import SliEvent

__all__ = ["BurnPoint", "BurnSeries", "Page", "burn_analysis", "burn_rate", "can_fire"]


@dataclass(frozen=True, slots=True)
class Page:
    """A burn-rate page that would have fired: when, for which SLO and rule."""

    t: float
    slo: str
    rule: BurnRule
    long_rate: float
    short_rate: float


@dataclass(frozen=True, slots=True)
class BurnPoint:
    """Burn rate per SLO at tick end ``t`` over ``window`` seconds (None: no events)."""

    t: float
    window: float
    rates: Mapping[str, float | None]


@dataclass(frozen=True, slots=True)
class BurnSeries:
    """The burn-rate figures of a run."""

    timeline: tuple[BurnPoint, ...]
    peak: float | None
    peak_slo: str | None
    pages: tuple[Page, ...]

    @property
    def first_page(self) -> Page | None:
        return self.pages[0] if self.pages else None

    def page_between(self, start: float, until: float) -> Page | None:
        """The first page time in ``[start, until)``: the harness's own detection."""
        return next((p for p in self.pages if start <= p.t < until), None)


class _Window:
    """Prefix sums of one SLO's events for O(log n) window queries."""

    def __init__(self, events: Sequence[SliEvent]) -> None:
        ordered = sorted(events, key=lambda e: e.t)
        self.times = [e.t for e in ordered]
        self.total = [0]
        self.bad = [0]
        for e in ordered:
            self.total.append(self.total[-1] + e.weight)
            self.bad.append(self.bad[-1] + (0 if e.good else e.weight))

    def counts(self, t: float, window: float) -> tuple[int, int]:
        """(bad, total) of events in ``(t - window, t]``."""
        hi = bisect.bisect_right(self.times, t)
        lo = bisect.bisect_right(self.times, t - window)
        return self.bad[hi] - self.bad[lo], self.total[hi] - self.total[lo]


def can_fire(rule: BurnRule, load_phase: float) -> bool:
    """Whether ``rule`` can page as designed in a load phase of ``load_phase`` seconds.

    A long window longer than the load phase never fills: it holds the whole run so far,
    so the rule would page only when the run's *average* burn passed its factor. The
    report says "could not fire in this run" for such rules rather than "no page", and
    ``gameday validate`` warns before the run (``scoring.burn_rate.window_scale``).
    """
    return rule.long <= load_phase + 1e-9


def burn_rate(
    events: Sequence[SliEvent], objective: float, t: float, window: float
) -> float | None:
    """Burn rate of one SLO over ``(t - window, t]`` (None when no event fell in it).

    >>> evs = [SliEvent(float(i), i % 10 != 0) for i in range(100)]   # 10% bad
    >>> round(burn_rate(evs, 0.99, 99.0, 100.0), 6)                    # 10x the 1% budget
    10.0
    """
    return _rate(_Window(events), objective, t, window)


def _rate(w: _Window, objective: float, t: float, window: float) -> float | None:
    bad, total = w.counts(t, window)
    if total == 0:
        return None
    return (bad / total) / (1.0 - objective)


def burn_analysis(
    events: Mapping[str, Sequence[SliEvent]],
    slos: Sequence[SloSpec],
    rules: Sequence[BurnRule],
    tick: float,
    end: float,
) -> BurnSeries:
    """Evaluate the burn-rate rules at every tick end up to ``end``."""
    windows = {s.name: (_Window(events.get(s.name, ())), s.objective) for s in slos}
    shown = rules[0].short if rules else tick
    timeline: list[BurnPoint] = []
    pages: list[Page] = []
    k = 1
    while (t := k * tick) <= end + tick - 1e-9:
        t = min(t, end) if t > end else t
        rates = {name: _rate(w, obj, t, shown) for name, (w, obj) in windows.items()}
        timeline.append(BurnPoint(t, shown, rates))
        for name, (w, obj) in windows.items():
            for rule in rules:
                long_rate = _rate(w, obj, t, rule.long)
                short_rate = _rate(w, obj, t, rule.short)
                if long_rate is None or short_rate is None:
                    continue
                if long_rate > rule.factor and short_rate > rule.factor:
                    pages.append(Page(t, name, rule, long_rate, short_rate))
        k += 1
    peak_slo, peak = None, None
    for point in timeline:
        for name, rate in point.rates.items():
            if rate is not None and (peak is None or rate > peak):
                peak, peak_slo = rate, name
    pages.sort(key=lambda p: p.t)
    return BurnSeries(tuple(timeline), peak, peak_slo, tuple(pages))
