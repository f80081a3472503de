"""What scoring needs to know about a scenario: SLOs, burn-rate rules, runbook, weights.

All times are scenario seconds. These are plain frozen values built by the scenario
loader (``harness.scenario.parse``); scoring never reads YAML itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from harness.scoring.cost import SpendBudget

__all__ = [
    "DEFAULT_BURN_RULES",
    "SLI_NAMES",
    "BurnRule",
    "GateSpec",
    "ScoringConfig",
    "SloSpec",
    "StepSpec",
    "StopRule",
    "Trigger",
    "Weights",
]

#: SLIs a scenario can put an objective on.
SLI_NAMES = (
    "success",
    "latency",
    "correctness",
    "queue_wait",
    "iteration",
    "stability",
    "requests",
    "request_latency",
)


@dataclass(frozen=True, slots=True)
class SloSpec:
    """One SLO: the SLI name, its objective (0..1) and the SLI's parameters.

    ``threshold`` (seconds) is the bound of ``latency``, ``queue_wait`` and
    ``iteration`` (a hybrid loop's iteration, :mod:`harness.scoring.loops`);
    ``min_fidelity`` the bound of ``correctness``, and ``max_fidelity`` its optional upper
    bound: a result closer to the ideal than the device's noise allows did not come
    from the device (an ideal simulator stood in for it). ``max_drop`` the bound of
    ``stability``: how far below its circuit's baseline (the median fidelity of its first
    ``baseline`` jobs, :mod:`harness.scoring.stability`) a result may fall. ``window``
    (seconds, optional) is the SLO's compliance period, e.g. 28 days. Without it the
    error budget is the run's own volume; with it the run is taken as a sample of the
    window's traffic and consumption is scaled by ``load phase / window``.
    """

    name: str
    objective: float
    threshold: float | None = None
    window: float | None = None
    min_fidelity: float | None = None
    max_fidelity: float | None = None
    max_drop: float | None = None
    baseline: int | None = None


@dataclass(frozen=True, slots=True)
class BurnRule:
    """A multiwindow burn-rate page: fire when both windows burn faster than ``factor``."""

    factor: float
    long: float
    short: float

    def scaled(self, scale: float) -> BurnRule:
        return BurnRule(self.factor, self.long * scale, self.short * scale)


#: The SRE workbook's paging rules (chapter 5): 2% of a 30-day budget in 1 h, 5% in 6 h.
DEFAULT_BURN_RULES = (BurnRule(14.4, 3600.0, 300.0), BurnRule(6.0, 21600.0, 1800.0))


@dataclass(frozen=True, slots=True)
class GateSpec:
    """A CI gate: ``value <op> threshold`` must hold (``op`` is ``max`` or ``min``)."""

    name: str
    op: Literal["max", "min"]
    threshold: float


TriggerKind = Literal["default", "alert", "step", "sli", "at", "fault"]
ExpectKind = Literal["alert", "resolved", "recovery", "mitigation", "event"]


@dataclass(frozen=True, slots=True)
class Trigger:
    """When a runbook step becomes due.

    ``default``: the previous step done (the first step: the first fault's start);
    ``alert``: a firing alert (named ``name``, or any); ``step``: step ``name`` done;
    ``sli``: a tick where SLI ``name``'s good ratio is below ``value``; ``at``: scenario
    time ``value``; ``fault``: fault ``name`` (or any, when None) started.
    """

    kind: TriggerKind = "default"
    name: str | None = None
    value: float | None = None


@dataclass(frozen=True, slots=True)
class StepSpec:
    """A runbook step as scoring sees it: when it is due, what makes it done, its deadline.

    ``expect`` steps are done when the expected signal is observed (``alert``,
    ``resolved``, ``recovery``, ``mitigation``, or ``event`` named ``expect_name``);
    ``run`` steps (``action`` describes the automated action) are done when the journal
    says the action succeeded. In an interactive run every step is done when the
    responder types its id.
    """

    id: str
    when: Trigger = field(default_factory=Trigger)
    expect: ExpectKind | None = None
    expect_name: str | None = None
    action: str | None = None
    within: float | None = None


@dataclass(frozen=True, slots=True)
class StopRule:
    """A stop condition (``stop_when:``): abort the experiment when ``value > above``.

    ``burn_rate``: any SLO's burn rate over the trailing ``window``; ``lost_jobs``: jobs
    accepted and unanswered for longer than ``window``; ``failed_jobs``,
    ``wrong_results``: counts so far; ``error_budget_consumed``: worst SLO so far.
    """

    name: str
    above: float
    window: float | None = None


@dataclass(frozen=True, slots=True)
class Weights:
    """Weights of the resilience score's parts (normalised over the applicable parts)."""

    correctness: float = 0.35
    recovery: float = 0.30
    slo: float = 0.20
    runbook: float = 0.15


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """Everything scoring needs besides the journal (all times in scenario seconds)."""

    tick: float
    stable_window: float
    load_end: float
    slos: tuple[SloSpec, ...]
    gates: tuple[GateSpec, ...] = ()
    burn_rules: tuple[BurnRule, ...] = DEFAULT_BURN_RULES
    runbook: tuple[StepSpec, ...] = ()
    stop: tuple[StopRule, ...] = ()
    weights: Weights = field(default_factory=Weights)
    recovery_target: float = 600.0
    #: the measurement lag (scenario seconds, p99) a run tolerates; None: one tick
    lag_tolerance: float | None = None
    #: the run's spend budget (``budget:``), None: spend is reported, not capped
    budget: SpendBudget | None = None
