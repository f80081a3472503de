"""The score of a run as a value: what every report renders (:class:`Score`).

:func:`harness.scoring.score.score` computes it; :mod:`harness.scoring.gates` reads it.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.scoring.alerting import AlertQuality
from harness.scoring.burn import BurnSeries
from harness.scoring.cost import Spend
from harness.scoring.incidents import Incident
from harness.scoring.inflight import InFlight
from harness.scoring.ledger import Ledger
from harness.scoring.loops import LoopStats
from harness.scoring.measurement import Measurement
from harness.scoring.resilience import Resilience
from harness.scoring.runbook import StepResult
from harness.scoring.slis import SloResult, TickStats
from harness.scoring.telemetry import Secrets, Telemetry
from harness.scoring.tenancy import TenantStats
from harness.scoring.views import AlertView

__all__ = ["GateResult", "Score"]


@dataclass(frozen=True, slots=True)
class GateResult:
    """One gate of a run: its bound, the figure it read, and whether it held.

    ``passed`` is ``None`` when the gate was not evaluated: the run never injected a
    fault (steady state not reached, or stopped before the timeline), so its figures
    would judge a game day that did not happen (a TTD of a fault never injected).
    """

    name: str
    op: str
    threshold: float
    value: float | None
    passed: bool | None
    unit: str
    #: why a missing value passed (``no impact``), or why the gate was not judged
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Score:
    """Everything the reports show. ``passed``: status completed and every gate passed.

    ``status`` is ``unreliable`` (never passed, never failed) when a run completed but
    its measurement uncertainty exceeded what its tick tolerates (``measurement``).
    ``passed`` is the run's one verdict: the exit code (:class:`harness.exitcode.ExitCode`),
    ``junit.xml``'s failures and every report's headline are derived from it.
    """

    status: str
    reason: str | None
    end_s: float
    incidents: tuple[Incident, ...]
    mttr_s: float | None
    slos: tuple[SloResult, ...]
    error_budget_consumed: float
    ledger: Ledger
    ticks: tuple[TickStats, ...]
    alerts: tuple[AlertView, ...]
    gates: tuple[GateResult, ...]
    burn: BurnSeries
    runbook: tuple[StepResult, ...]
    resilience: Resilience
    measurement: Measurement | None = None
    spend: Spend | None = None
    alerting: AlertQuality | None = None
    telemetry: Telemetry = Telemetry()
    secrets: Secrets = Secrets()
    mean_fidelity: float | None = None
    tenants: tuple[TenantStats, ...] = ()
    loops: tuple[LoopStats, ...] = ()
    iteration_p95: float | None = None  # of every hybrid loop iteration
    #: jobs delivered with a fidelity above the correctness SLO's max_fidelity
    #: (None: no such bound)
    too_good: int | None = None
    #: jobs whose fidelity fell more than the stability SLO's max_drop below their
    #: circuit's baseline (None: no such SLO)
    drifted: int | None = None
    interactive: bool = False
    passed: bool = False
    in_flight: tuple[InFlight, ...] = ()  #: per tick, aligned with ``ticks``
