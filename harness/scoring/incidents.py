"""Incidents: one per group of overlapping fault windows, with detect / acknowledge /
mitigate / recover times.

**Faults -> incidents.** Faults whose windows overlap by a tick or more, or that start
within a tick of the first fault of the group (injected together), form **one incident
with several causes**: it starts when the first of them starts and its fault window
ends when the last of them ends. Evidence (an alert, a mitigation, a runbook step) is
credited once, to the incident whose window holds it, and MTTR averages incidents, not
faults: two faults behind one outage are one outage to the people responding to it,
and used to be two incidents both credited with the same alert, averaged into MTTR.
Windows that merely touch (one fault ends as the next starts) are two incidents.

For the incident starting at ``t0`` (the next one starting at ``t1``, or the end of the
run), all in scenario seconds:

- **detect**: the first *firing* alert the SUT sent to the webhook in ``[t0, t1)``
  (TTD = detect - t0). The harness's own burn-rate page in ``[t0, t1)`` is reported
  beside it (``burn_ttd``), separately: it says what a standard SLO alert would have
  done, not what the SUT did.
- **acknowledge**: the first runbook step done in ``[t0, t1)`` (typed by the responder
  in an interactive run), or the responder's ``ack`` of a page, whichever came first.
- **mitigate**: the first mitigation in ``[t0, t1)``: an event the SUT reported
  (``kind: mitigation``) or a runbook action that succeeded.
- **impact**: the first unhealthy tick overlapping ``[t0, t1)``.
- **recover**: the start of the first run of healthy ticks lasting ``stable_window``
  that begins after the impact, at or after the last cause ended or the incident was
  mitigated (whichever came first), and lies wholly inside the load phase (after it no
  new jobs arrive, so empty ticks would prove nothing). Ticks count jobs stuck past a
  latency or queue-wait threshold (:mod:`harness.scoring.slis`), so recovery waits for
  the backlog to drain.
- **no impact**: no unhealthy tick in ``[t0, t1)``: there was nothing to recover from,
  and the incident says so (``recovery == "no impact"``, TTR ``None``) rather than
  "recovered in 0 s"; the ``mttr`` gate and the score's recovery part treat it as
  perfect, a run of ``--repeat`` leaves it out of the TTR distribution.

Missing times are ``None`` ("not detected", "not recovered"), never a silent zero.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from harness.scoring.burn import BurnSeries
from harness.scoring.config import ScoringConfig
from harness.scoring.slis import TickStats
from harness.scoring.views import AlertView, FaultView

__all__ = ["Incident", "fault_groups", "incidents"]


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident (one or more overlapping faults) and the response to it.

    ``id`` and ``kind`` name its causes (``drift + stale-properties``); ``causes`` are
    the fault windows themselves. ``None`` = did not happen.
    """

    id: str
    kind: str
    start_s: float
    end_s: float | None
    detected_at_s: float | None
    ttd_s: float | None
    impact: bool
    impact_start_s: float | None
    recovered_at_s: float | None
    ttr_s: float | None
    burn_detected_at_s: float | None = None
    burn_ttd_s: float | None = None
    acknowledged_at_s: float | None = None
    tta_s: float | None = None
    mitigated_at_s: float | None = None
    ttm_s: float | None = None
    mitigation: str | None = None
    causes: tuple[FaultView, ...] = ()
    #: jobs with a bad SLI event in the incident (:mod:`harness.scoring.inflight`)
    affected_jobs: int = 0
    worst_latency_s: float | None = None
    worst_latency_in_flight: bool = False  #: censored: that job had not finished

    @property
    def detected(self) -> bool:
        return self.ttd_s is not None

    @property
    def recovered(self) -> bool:
        """Back within SLO, or never out of it (no impact)."""
        return self.ttr_s is not None or not self.impact

    @property
    def recovery(self) -> str:
        """``no impact``, ``recovered`` or ``not recovered``: what a report says."""
        if not self.impact:
            return "no impact"
        return "recovered" if self.ttr_s is not None else "not recovered"


def _since(t: float | None, t0: float) -> float | None:
    return None if t is None else t - t0


def incidents(
    faults: Sequence[FaultView],
    ticks: Sequence[TickStats],
    alerts: Sequence[AlertView],
    burn: BurnSeries,
    acks: Sequence[float],
    mitigations: Sequence[tuple[float, str]],
    config: ScoringConfig,
    end: float,
) -> tuple[Incident, ...]:
    """Score every fault window (definitions in the module docstring); background
    conditions (``incident: false``) are not incidents."""
    faults = [f for f in faults if f.incident]
    horizon = min(config.load_end, end)
    out = []
    groups = fault_groups(faults, config.tick)
    for k, causes in enumerate(groups):
        t0 = causes[0].start
        t1 = groups[k + 1][0].start if k + 1 < len(groups) else end + 1e-9
        f = _window(causes)
        detected = next((a.t for a in alerts if a.status == "firing" and t0 <= a.t < t1), None)
        page = burn.page_between(t0, t1)
        ack = next((t for t in sorted(acks) if t0 <= t < t1), None)
        mit = next(((t, what) for t, what in mitigations if t0 <= t < t1), None)
        eligible = min(f.end if f.end is not None else t1, mit[0] if mit else math.inf)
        impact, recovered = _impact_and_recovery(ticks, t0, t1, eligible, horizon, config)
        ttr = _since(recovered, t0)
        out.append(
            Incident(
                id=f.id,
                kind=f.kind,
                start_s=t0,
                end_s=f.end,
                detected_at_s=detected,
                ttd_s=_since(detected, t0),
                impact=impact is not None,
                impact_start_s=impact,
                recovered_at_s=recovered,
                ttr_s=ttr,
                burn_detected_at_s=page.t if page else None,
                burn_ttd_s=_since(page.t if page else None, t0),
                acknowledged_at_s=ack,
                tta_s=_since(ack, t0),
                mitigated_at_s=mit[0] if mit else None,
                ttm_s=_since(mit[0] if mit else None, t0),
                mitigation=mit[1] if mit else None,
                causes=tuple(causes),
            )
        )
    return tuple(out)


def fault_groups(faults: Sequence[FaultView], tick: float) -> list[list[FaultView]]:
    """Faults in start order, grouped into incidents (the rule in the module docstring).

    A fault joins the current group when it starts within a tick of the group's first
    fault, or a tick or more before every fault of the group has ended (an overlap
    shorter than a tick is below the scoring's resolution: back-to-back faults are
    journalled a few milliseconds either side of each other).
    """
    groups: list[list[FaultView]] = []
    for f in sorted(faults, key=lambda x: x.start):
        if groups:
            group = groups[-1]
            ends = [g.end for g in group]
            open_until = math.inf if None in ends else max(e for e in ends if e is not None)
            if f.start < group[0].start + tick or f.start <= open_until - tick:
                group.append(f)
                continue
        groups.append([f])
    return groups


def _window(causes: Sequence[FaultView]) -> FaultView:
    """One fault window standing for a group: names joined, first start, last end."""
    ends = [c.end for c in causes]
    return FaultView(
        id=" + ".join(c.id for c in causes),
        kind=" + ".join(dict.fromkeys(c.kind for c in causes)),
        start=causes[0].start,
        end=None if None in ends else max(e for e in ends if e is not None),
    )


def _impact_and_recovery(
    ticks: Sequence[TickStats],
    start: float,
    until: float,
    eligible: float,
    horizon: float,
    config: ScoringConfig,
) -> tuple[float | None, float | None]:
    first = next(
        (
            i
            for i, tk in enumerate(ticks)
            if tk.start + config.tick > start and tk.start < until and not tk.healthy
        ),
        None,
    )
    if first is None:
        return None, None
    need = max(1, math.ceil(config.stable_window / config.tick - 1e-9))
    run = 0
    for i in range(first + 1, len(ticks)):
        if ticks[i].start + config.tick > horizon + 1e-9:
            break
        if ticks[i].start < eligible - 1e-9:
            continue  # the fault is still on and nothing mitigated it yet
        run = run + 1 if ticks[i].healthy else 0
        if run >= need:
            return ticks[first].start, ticks[i - need + 1].start
    return ticks[first].start, None
