"""Incidents: one per fault window, with its detect / acknowledge / mitigate / recover times.

For the fault starting at ``t0`` (and the next fault starting at least a tick later, at
``t1``, or the end of the run; faults injected together share their window), all in
scenario seconds:

- **detect**: the first *firing* alert the SUT sent to the webhook in ``[t0, t1)``
  (TTD = detect - t0). The harness's own burn-rate page in ``[t0, t1)`` is reported
  beside it (``burn_ttd``), separately: it says what a standard SLO alert would have
  done, not what the SUT did.
- **acknowledge**: the first runbook step done in ``[t0, t1)`` (typed by the responder
  in an interactive run).
- **mitigate**: the first mitigation in ``[t0, t1)``: an event the SUT reported
  (``kind: mitigation``) or a runbook action that succeeded.
- **impact**: the first unhealthy tick overlapping ``[t0, t1)``.
- **recover**: the start of the first run of healthy ticks lasting ``stable_window``
  that begins after the impact, at or after the fault ended or was mitigated
  (whichever came first), and lies wholly inside the load phase (after it no new jobs
  arrive, so empty ticks would prove nothing). Ticks count jobs stuck past a latency
  or queue-wait threshold (:mod:`harness.scoring.slis`), so recovery waits for the
  backlog to drain.
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

__all__ = ["Incident", "incidents"]


@dataclass(frozen=True, slots=True)
class Incident:
    """One fault window and the response to it (``None`` = did not happen)."""

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
    """Score every fault window (definitions in the module docstring)."""
    horizon = min(config.load_end, end)
    out = []
    for k, f in enumerate(faults):
        t0 = f.start
        # the next fault starting a tick or more later closes this one's window: faults
        # injected together (a few ms apart, or within the SLIs' resolution) are each
        # scored against the same evidence
        t1 = next((g.start for g in faults[k + 1 :] if g.start >= t0 + config.tick), end + 1e-9)
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
            )
        )
    return tuple(out)


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
