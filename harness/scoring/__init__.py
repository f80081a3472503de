"""Scoring: a journal in, a :class:`Score` out. Pure: imports nothing from the harness but
the journal's record declarations (:mod:`harness.journal.records`,
:mod:`fake_backends.records`).

One module per concept; the definitions live in each module's docstring and in
ARCHITECTURE.md ("Scoring"):

- :mod:`~harness.scoring.views`: journal records -> jobs, alerts, faults (job outcomes);
- :mod:`~harness.scoring.journal_view`: all of them for one journal, record by record;
- :mod:`~harness.scoring.slis`: SLI events (the seam for new event sources), ticks, SLOs;
- :mod:`~harness.scoring.burn`: burn rates and the multiwindow burn-rate page;
- :mod:`~harness.scoring.incidents`: TTD / TTA / TTM / TTR per incident (overlapping
  faults are one);
- :mod:`~harness.scoring.inflight`: the backlog per tick, affected jobs, worst latency;
  :mod:`~harness.scoring.alerting`: alert quality (false pages, storms, unresolved);
- :mod:`~harness.scoring.ledger`: the Jepsen-style ledger and cost;
  :mod:`~harness.scoring.cost`: spend against the run's budget;
  :mod:`~harness.scoring.identity`: which job each backend execution ran;
- :mod:`~harness.scoring.measurement`: the run's own measurement uncertainty;
- :mod:`~harness.scoring.runbook`: runbook steps: due, done, deadline, order;
- :mod:`~harness.scoring.resilience`: the 0-100 resilience score;
- :mod:`~harness.scoring.gates`: CI gates; :mod:`~harness.scoring.stop`: stop conditions;
- :mod:`~harness.scoring.repeat`: p50 / p90 / max over repeated runs;
- :mod:`~harness.scoring.score`: puts it together.
"""

from harness.scoring.alerting import AlertQuality
from harness.scoring.alerting import Page as AlertPage
from harness.scoring.burn import (
    BurnPoint,
    BurnSeries,
    Page,
    burn_analysis,
    burn_rate,
    can_fire,
)
from harness.scoring.config import (
    DEFAULT_BURN_RULES,
    SLI_NAMES,
    BurnRule,
    GateSpec,
    ScoringConfig,
    SloSpec,
    StepSpec,
    StopRule,
    Trigger,
    Weights,
)
from harness.scoring.cost import Spend, SpendBudget
from harness.scoring.events import SliEvent
from harness.scoring.gates import GATES
from harness.scoring.incidents import Incident
from harness.scoring.inflight import InFlight
from harness.scoring.journal_view import JournalView
from harness.scoring.ledger import Ledger, Unexpected
from harness.scoring.measurement import Measurement, SourceLag
from harness.scoring.resilience import Resilience
from harness.scoring.result import GateResult, Score
from harness.scoring.runbook import MISSED_STATUSES, RunbookContext, StepResult, runbook_results
from harness.scoring.score import runbook_context, score, score_view
from harness.scoring.slis import SloResult, TickStats, sli_events, slo_results, tick_stats
from harness.scoring.stop import STOP_RULES, StopHit, stop_check
from harness.scoring.views import AlertView, hellinger_fidelity, job_views

__all__ = [
    "AlertPage",
    "AlertQuality",
    "DEFAULT_BURN_RULES",
    "GATES",
    "MISSED_STATUSES",
    "SLI_NAMES",
    "STOP_RULES",
    "AlertView",
    "BurnPoint",
    "BurnRule",
    "BurnSeries",
    "GateResult",
    "GateSpec",
    "InFlight",
    "Incident",
    "JournalView",
    "Ledger",
    "Measurement",
    "Page",
    "Resilience",
    "RunbookContext",
    "Score",
    "ScoringConfig",
    "SliEvent",
    "SloResult",
    "SloSpec",
    "Spend",
    "SpendBudget",
    "SourceLag",
    "StepResult",
    "StepSpec",
    "StopHit",
    "StopRule",
    "TickStats",
    "Trigger",
    "Unexpected",
    "Weights",
    "burn_analysis",
    "burn_rate",
    "can_fire",
    "hellinger_fidelity",
    "job_views",
    "runbook_context",
    "runbook_results",
    "score",
    "score_view",
    "sli_events",
    "slo_results",
    "stop_check",
    "tick_stats",
]
