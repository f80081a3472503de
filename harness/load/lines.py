"""The SLI plugin's output: one JSON object per line, read by the harness.

The plugin (running inside Locust) writes these line types to the file named by
``--qg-sli-out``:

- ``sli``: the requests that finished in one interval ``[start, start + interval)``
  (wall-clock epoch seconds; the interval is 1 s unless told otherwise) by one load
  process (``source``): ``requests``, ``failures``, a latency ``hist`` (milliseconds,
  bucketed like Locust's own statistics -> count) and the same per ``endpoints``
  (``"<method> <name>"``). Every request Locust counts is in exactly one line, so
  the sums equal Locust's own totals.
- ``job``: one step of a job a user submitted (``event``: submitted, accepted,
  rejected, indeterminate, completed, failed) with the wall time it happened.
- ``ready``: users are spawned; ``drained``: past the submit deadline with no job left
  in flight in any process; ``stopped``: the plugin's last line.

This module is pure (no locust, no asyncio) so both sides can use it.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "EndpointStats",
    "SliLine",
    "merge_hist",
    "parse_line",
    "percentile",
]


@dataclass(frozen=True, slots=True)
class EndpointStats:
    """Requests, failures and the latency histogram (ms -> count) of one endpoint."""

    requests: int
    failures: int
    hist: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SliLine:
    """One ``sli`` line: what one load process finished in one interval."""

    start: float
    interval: float
    source: str
    requests: int
    failures: int
    hist: Mapping[int, int]
    endpoints: Mapping[str, EndpointStats]

    def to_record(self) -> dict[str, Any]:
        """The JSON form (histogram keys as strings, as JSON requires)."""
        return {
            "start": self.start,
            "interval": self.interval,
            "source": self.source,
            "requests": self.requests,
            "failures": self.failures,
            "hist": _hist_out(self.hist),
            "endpoints": {
                name: {
                    "requests": e.requests,
                    "failures": e.failures,
                    "hist": _hist_out(e.hist),
                }
                for name, e in self.endpoints.items()
            },
        }


def _hist_out(hist: Mapping[int, int]) -> dict[str, int]:
    return {str(k): v for k, v in sorted(hist.items())}


def _hist_in(raw: Any) -> dict[int, int]:
    if not isinstance(raw, Mapping):
        return {}
    return {int(k): int(v) for k, v in raw.items()}


def sli_from_record(raw: Mapping[str, Any]) -> SliLine:
    """Rebuild an :class:`SliLine` from its JSON form (a ``load.sli`` journal record too)."""
    endpoints = raw.get("endpoints") or {}
    return SliLine(
        start=float(raw["start"]),
        interval=float(raw["interval"]),
        source=str(raw.get("source", "local")),
        requests=int(raw["requests"]),
        failures=int(raw["failures"]),
        hist=_hist_in(raw.get("hist")),
        endpoints={
            str(name): EndpointStats(
                int(e.get("requests", 0)), int(e.get("failures", 0)), _hist_in(e.get("hist"))
            )
            for name, e in endpoints.items()
        },
    )


def parse_line(text: str) -> dict[str, Any] | None:
    """One line of the plugin's file as a dict with a ``type``; None for a torn line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        return None
    return data


def merge_hist(hists: Iterable[Mapping[int, int]]) -> dict[int, int]:
    """Sum histograms (ms -> count)."""
    total: Counter[int] = Counter()
    for h in hists:
        total.update(h)
    return dict(total)


def percentile(hist: Mapping[int, int], q: float) -> int | None:
    """The smallest bucket at or below which ``q`` (0..1) of the requests fall.

    >>> percentile({10: 90, 200: 10}, 0.95)
    200
    """
    n = sum(hist.values())
    if n == 0:
        return None
    need = q * n
    seen = 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= need - 1e-9:
            return ms
    return max(hist)  # pragma: no cover - the loop always returns
