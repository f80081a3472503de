"""Warnings about a valid scenario that will not measure what it looks like it measures.

A scenario that parses can still be a game day whose figures say less than they seem
to: ``gameday validate`` and ``gameday run`` print these before the run (the run goes
ahead; a warning is advice, not an error).

- **Burn-rate windows that cannot fire.** The default rules are the SRE workbook's
  (14.4x over 1h and 5m; 6x over 6h and 30m): on a 16-minute game day neither long
  window ever fills, and the report would say "no page" for a page that was
  impossible. Suggested: a ``window_scale`` that fits the first rule into half the load
  phase.
"""

from __future__ import annotations

import math

from harness.durations import fmt_duration
from harness.scenario.model import Scenario
from harness.scoring import can_fire

__all__ = ["scenario_warnings", "suggested_window_scale"]


def scenario_warnings(s: Scenario) -> list[str]:
    """Advice about ``s`` (empty when there is none); each names the YAML path."""
    out: list[str] = []
    rules = s.scoring.burn_rules
    if rules and not any(can_fire(r, s.duration) for r in rules):
        scale = suggested_window_scale(s)
        first = rules[0].scaled(scale / s.scoring.window_scale)
        longs = ", ".join(fmt_duration(r.long) for r in rules)
        out.append(
            f"scoring.burn_rate: no burn-rate rule can fire in this run: their long windows "
            f"({longs}) are longer than the load phase ({fmt_duration(s.duration)}), so the "
            f"report could only say 'could not fire'. Scale them, e.g. "
            f"'scoring: {{burn_rate: {{window_scale: {scale:g}}}}}' "
            f"({fmt_duration(rules[0].long)}/{fmt_duration(rules[0].short)} -> "
            f"{fmt_duration(first.long)}/{fmt_duration(first.short)})"
        )
    return out


def suggested_window_scale(s: Scenario) -> float:
    """The largest 1-2-5 multiplier that fits the first rule's long window into half the
    load phase, relative to the rules as the file wrote them."""
    rules = s.scoring.burn_rules
    current = s.scoring.window_scale
    wanted = current * (s.duration / 2) / rules[0].long
    exponent = math.floor(math.log10(wanted))
    for mantissa in (5, 2, 1):
        value = mantissa * 10.0**exponent
        if value <= wanted * (1 + 1e-9):
            return float(f"{value:.6g}")
    return float(f"{10.0**exponent:.6g}")  # pragma: no cover (1 x 10^floor always fits)
