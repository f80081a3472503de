"""A validated game day as a frozen value: :class:`Scenario`.

It composes every part's own configuration (backends, target, workload, SLOs, faults,
gates, runbook, stop conditions); :mod:`harness.scenario.parse` builds it from YAML.
Times are scenario seconds.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from harness.errors import ScenarioError
from harness.faults import FaultSpec
from harness.load.config import WorkloadConfig
from harness.runbook import RunbookStep
from harness.scenario.backends import BackendConfig
from harness.scenario.catalogue import Expectation
from harness.scenario.clock import CLOCKS, ClockName, RealTimePart
from harness.scenario.scoring import ScoringSection
from harness.scenario.target import HTTP_SCALE
from harness.scoring import GateSpec, ScoringConfig, SloSpec, SpendBudget, StopRule
from harness.sut.config import TargetConfig

__all__ = ["MAX_WALL_RATE", "Scenario"]

MAX_WALL_RATE = 500.0  # jobs per wall second the built-in workload may be asked for


@dataclass(frozen=True, slots=True)
class Scenario:
    """A validated game day. Times are scenario seconds."""

    name: str
    description: str
    file: str
    seed: int
    time_scale: float
    duration: float
    tick: float
    warmup: float
    drain: float
    stable_window: float
    backends: tuple[BackendConfig, ...]
    target: TargetConfig
    workload: WorkloadConfig
    slos: tuple[SloSpec, ...]
    faults: tuple[FaultSpec, ...]
    gates: tuple[GateSpec, ...]
    source: Mapping[str, Any] = dataclasses.field(default_factory=dict, compare=False)
    scoring: ScoringSection = dataclasses.field(default_factory=ScoringSection)
    runbook: tuple[RunbookStep, ...] = ()
    stop_when: tuple[StopRule, ...] = ()
    #: the largest time scale at which this scenario's runs measured within tolerance on
    #: a loaded 2-core machine (``gameday list`` shows it; ``run`` warns above it)
    safe_time_scale: float | None = None
    #: the clock it runs on (:mod:`harness.scenario.clock`); ``time_scale`` is the scaled
    #: clock's speed, unused on the virtual one
    clock: ClockName = "scaled"
    #: the parts that keep real time, where they are in the file (empty: it may be virtual)
    real_time: tuple[RealTimePart, ...] = dataclasses.field(default=(), compare=False)
    #: its family in the catalogue and the verdict it is designed to give
    #: (:mod:`harness.scenario.catalogue`)
    family: str | None = None
    expect: Expectation | None = None
    budget: SpendBudget | None = None

    def scoring_config(self) -> ScoringConfig:
        return ScoringConfig(
            tick=self.tick,
            stable_window=self.stable_window,
            load_end=self.duration,
            slos=self.slos,
            gates=self.gates,
            burn_rules=self.scoring.burn_rules,
            runbook=tuple(step.spec for step in self.runbook),
            stop=self.stop_when,
            weights=self.scoring.weights,
            recovery_target=self.scoring.recovery_target,
            lag_tolerance=self.scoring.lag_tolerance,
            budget=self.budget,
        )

    def with_overrides(
        self,
        *,
        time_scale: float | None = None,
        seed: int | None = None,
        lag_tolerance: float | None = None,
        clock: str | None = None,
    ) -> Scenario:
        """A copy with command-line overrides applied (recorded in ``source`` too, so the
        journal's copy of the scenario, which ``gameday report`` re-scores, agrees).

        ``time_scale`` is the scaled clock's: without a ``clock`` it also asks for it.
        """
        changes: dict[str, Any] = {}
        if clock is None and time_scale is not None:
            clock = "scaled"
        if clock is not None:
            if clock not in CLOCKS:
                raise ScenarioError(
                    f"expected one of {', '.join(CLOCKS)}, found {clock!r}", path="clock"
                )
            if clock == "virtual" and self.real_time:
                raise self.real_time[0].error(self.file, "--clock virtual")
            if clock == "virtual" and time_scale is not None:
                raise ScenarioError(
                    "a time scale is the scaled clock's speed; the virtual clock has none",
                    path="time_scale",
                )
            changes["clock"] = clock
        if time_scale is not None:
            if not time_scale > 0:
                raise ScenarioError(
                    f"expected a positive number, found {time_scale}", path="time_scale"
                )
            changes["time_scale"] = float(time_scale)
            if self.target.kind == "http" and time_scale != 1:
                raise ScenarioError(HTTP_SCALE, file=self.file, path="time_scale")
        scaled = changes.get("clock", self.clock) == "scaled"
        rate_scale = changes.get("time_scale", self.time_scale)
        wall_rate = self.workload.peak_rate * rate_scale
        if scaled and self.workload.engine == "builtin" and wall_rate > MAX_WALL_RATE:
            raise ScenarioError(
                f"at {rate_scale:g}x the workload would submit {wall_rate:g} jobs per wall "
                f"second; at most {MAX_WALL_RATE:g}",
                path="time_scale",
            )
        if seed is not None:
            changes["seed"] = int(seed)
        source = {**self.source, **changes}
        if lag_tolerance is not None:
            changes["scoring"] = dataclasses.replace(self.scoring, lag_tolerance=lag_tolerance)
            source["scoring"] = {
                **(self.source.get("scoring") or {}),
                "lag_tolerance": lag_tolerance,
            }
        return dataclasses.replace(self, **changes, source=source)
