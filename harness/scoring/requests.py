"""Request SLIs from a load generator's per-interval aggregates (the Locust engine).

Each ``load.sli`` record is what the load generator finished in one interval:
``requests``, ``failures`` and a latency histogram (``hist``: bucket upper bound in ms
-> count). They become weighted SLI events at the record's time:

- ``requests``: ``requests - failures`` good of ``requests``;
- ``request_latency`` (threshold in wall-clock seconds, since HTTP is not time-scaled):
  the requests whose histogram bucket is within the threshold are good.

Kept apart from the per-job SLIs on purpose: thousands of polls would drown the job
events (a poll answers 200 while its job fails).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from harness.scoring.config import SloSpec
from harness.scoring.events import SliEvent

__all__ = ["REQUEST_SLIS", "request_events"]

REQUEST_SLIS = ("requests", "request_latency")


def request_events(
    records: Iterable[Mapping[str, Any]], slos: Sequence[SloSpec], end: float
) -> dict[str, list[SliEvent]]:
    """Weighted ``requests`` / ``request_latency`` events from ``load.sli`` records."""
    specs = {s.name: s for s in slos if s.name in REQUEST_SLIS}
    out: dict[str, list[SliEvent]] = {name: [] for name in specs}
    if not specs:
        return out
    limit = specs["request_latency"].threshold if "request_latency" in specs else None
    for r in records:
        if r.get("type") != "load.sli" or float(r["t"]) > end:
            continue
        t, total = float(r["t"]), int(r.get("requests", 0))
        if "requests" in out:
            _split(out["requests"], t, total - int(r.get("failures", 0)), total)
        if limit is not None:
            hist = r.get("hist") or {}
            fast = sum(int(n) for ms, n in hist.items() if float(ms) <= limit * 1000.0)
            _split(out["request_latency"], t, fast, total)
    return out


def _split(events: list[SliEvent], t: float, good: int, total: int) -> None:
    if good > 0:
        events.append(SliEvent(t, True, weight=good))
    if total - good > 0:
        events.append(SliEvent(t, False, weight=total - good))
