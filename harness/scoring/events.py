"""SLI events: the one currency between where SLI observations come from and the rest.

The per-job events (:mod:`harness.scoring.slis`) and the load generator's request
events (:mod:`harness.scoring.requests`) are both made of :class:`SliEvent`; ticks,
burn rates and budgets read nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["SliEvent"]


@dataclass(frozen=True, slots=True)
class SliEvent:
    """One SLI observation at scenario time ``t``; ``weight`` requests of the same verdict."""

    t: float
    good: bool
    weight: int = 1
