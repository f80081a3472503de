"""The measurement uncertainty of a run: how far the instrument itself was off.

Every duration a report gives is in scenario seconds; the harness measures them with
its own clock and loop, and the fake backends model service time with Aer, all on a
machine shared with other work. The journal says how late each of them was (the
runner's ``lag`` / ``lag.summary`` records, from :mod:`harness.journal.lateness`, and
``aer_lag_s`` on every ``backend.execution``). Per source: count, p99 and max, in
scenario seconds:

- ``tick``, ``arrival``, ``fault``, ``poll``, ``webhook``, ``loop``: the harness;
- ``aer``: Aer finishing a job after its modelled service time was over (the fake
  device was slower than modelled: the simulator's share of the error).

**Uncertainty** = the largest p99 of any source: each duration in a report is "± this".
**Tolerance** = one tick (the SLI resolution: an event late by less than a tick moves
at most into the next tick, so every duration stays within about a tick) unless
``scoring.lag_tolerance`` says otherwise. A completed run whose uncertainty exceeds
its tolerance is **unreliable** (never passed nor failed: exit code 2), and the report
names the worst source and the largest time scale that would have held:
``time_scale x tolerance / uncertainty`` (wall-clock lag does not shrink with the time
scale, its scenario-time cost does).

On the virtual clock (``run.config`` ``clock: virtual``) every source is 0 by
construction: scenario time moves only when every part is idle, so nothing is ever
late; such a run has no time scale to suggest.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from fake_backends.records import EXECUTION
from harness.journal.records import LAG, LAG_SUMMARY, RUN_CONFIG
from harness.scoring.stats import percentile

__all__ = ["Measurement", "SourceLag", "measurement"]

Record = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class SourceLag:
    """How late one source was over a run, in scenario seconds."""

    name: str
    n: int
    p99: float
    max: float


@dataclass(frozen=True, slots=True)
class Measurement:
    """A run's measurement uncertainty and whether it stayed within what a tick tolerates."""

    time_scale: float | None
    tolerance: float
    uncertainty: float
    max_lag: float
    sources: tuple[SourceLag, ...]
    worst: str | None

    @property
    def reliable(self) -> bool:
        return self.uncertainty <= self.tolerance

    @property
    def safe_scale(self) -> float | None:
        """The largest time scale at which this run's lag would have stayed tolerable."""
        if self.time_scale is None or self.uncertainty <= 0:
            return None
        return self.time_scale * self.tolerance / self.uncertainty

    def describe(self) -> str:
        """One sentence for a report's status reason."""
        scale = self.safe_scale
        hint = f"; would have held up to ~{math.floor(scale):g}x" if scale is not None else ""
        at = f" at {self.time_scale:g}x" if self.time_scale is not None else ""
        return (
            f"measurement lag p99 {self.uncertainty:.2f}s ({self.worst}){at} exceeds the "
            f"run's tolerance of {self.tolerance:g}s{hint}"
        )


def measurement(records: Sequence[Record], tick: float, tolerance: float | None) -> Measurement:
    """The run's lag per source and its uncertainty (definitions in the module docstring)."""
    sources = {**_harness_lag(records), **_aer_lag(records)}
    ordered = tuple(sources[k] for k in sorted(sources))
    worst = max(ordered, key=lambda s: s.p99, default=None)
    return Measurement(
        time_scale=_time_scale(records),
        tolerance=tolerance if tolerance is not None else tick,
        uncertainty=worst.p99 if worst is not None else 0.0,
        max_lag=max((s.max for s in ordered), default=0.0),
        sources=ordered,
        worst=worst.name if worst is not None and worst.p99 > 0 else None,
    )


def _harness_lag(records: Sequence[Record]) -> dict[str, SourceLag]:
    summary = next((r for r in reversed(records) if r.get("type") == LAG_SUMMARY.name), None)
    if summary is not None:
        return {
            name: SourceLag(name, int(s["n"]), float(s["p99"]), float(s["max"]))
            for name, s in dict(summary.get("sources") or {}).items()
        }
    # a killed run has no summary: its per-tick records bound it (the worst tick's p99)
    out: dict[str, SourceLag] = {}
    for r in records:
        if r.get("type") != LAG.name:
            continue
        for name, s in dict(r.get("sources") or {}).items():
            seen = out.get(name, SourceLag(name, 0, 0.0, 0.0))
            out[name] = SourceLag(
                name, seen.n + int(s["n"]), max(seen.p99, float(s["p99"])), max(seen.max, s["max"])
            )
    return out


def _aer_lag(records: Sequence[Record]) -> dict[str, SourceLag]:
    lags = [
        float(r["aer_lag_s"])
        for r in records
        if r.get("type") == EXECUTION.name and r.get("aer_lag_s") is not None
    ]
    if not lags:
        return {}
    return {"aer": SourceLag("aer", len(lags), percentile(lags, 99) or 0.0, max(lags))}


def _time_scale(records: Sequence[Record]) -> float | None:
    for r in records:
        if r.get("type") == RUN_CONFIG.name and r.get("clock") == "virtual":
            return None  # no wall clock to scale
        if r.get("type") == RUN_CONFIG.name and r.get("time_scale") is not None:
            return float(r["time_scale"])
    return None
