"""Which clock a game day runs on: ``virtual`` where it can, ``scaled`` where it must.

=========  ==========================================  ==================================
clock      what advances scenario time                  may run
=========  ==========================================  ==================================
virtual    the event loop, jumping over idle time       in-process parts only: the fake
           (:mod:`plumbing.virtual`)                    clouds, the fault proxies, the
                                                        reference orchestrator, the
                                                        built-in workload, the runbook's
                                                        HTTP steps, scoring
scaled     wall time x ``time_scale``                   everything
=========  ==========================================  ==================================

A scenario may say ``clock: virtual`` or ``clock: scaled`` (``gameday run --clock``
overrides it). Without it, a game day runs on the virtual clock unless one of its parts
keeps real time (:func:`real_time_parts`); then it runs scaled. Asking for ``virtual``
with such a part is an error that names it, at load time. Two more come from how a run
is started, not from the file (:func:`settle_clock`): a real toxiproxy-server
(``TOXIPROXY_URL``) and ``--interactive`` (a human reads the pages).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from harness.errors import ConfigError, ScenarioError
from harness.fields import Fields
from harness.runbook import RunbookStep
from harness.runbook.actions import ShellAction

if TYPE_CHECKING:
    from harness.scenario.model import Scenario

__all__ = ["CLOCKS", "ClockName", "RealTimePart", "real_time_parts", "settle_clock"]

ClockName = Literal["virtual", "scaled"]
CLOCKS: tuple[ClockName, ...] = ("virtual", "scaled")


@dataclass(frozen=True, slots=True)
class RealTimePart:
    """A part of a scenario that keeps real time: where it is in the file, and why."""

    path: str
    line: int | None
    why: str

    def error(self, file: str, asked: str) -> ScenarioError:
        """The error for asking the virtual clock (``asked``: ``clock: virtual``, ...)."""
        return ScenarioError(
            f"{self.why}, so this game day cannot run on the virtual clock ({asked}); "
            "run it on the scaled clock (clock: scaled, or --clock scaled)",
            file=file,
            path=self.path,
            line=self.line,
        )


def real_time_parts(
    f: Fields, *, engine: str, target: str, runbook: tuple[RunbookStep, ...]
) -> tuple[RealTimePart, ...]:
    """The parts of a scenario (read through ``f``) that keep real time."""
    parts = []
    if engine == "locust":
        why = "Locust runs in a subprocess, on real time"
        parts.append(RealTimePart("workload.engine", f.line("workload.engine"), why))
    if target != "reference":
        why = f"the {target} target is a system under test with timers of its own"
        parts.append(RealTimePart("target.kind", f.line("target.kind"), why))
    for i, step in enumerate(runbook):
        if isinstance(step.action, ShellAction):
            path = f"runbook[{i}].run.shell"
            why = f"step {step.id!r} runs a shell command, a process on real time"
            parts.append(RealTimePart(path, f.line(path), why))
    return tuple(parts)


def settle_clock(
    scenario: Scenario, *, interactive: bool = False, toxiproxy_url: str | None = None
) -> tuple[Scenario, str]:
    """``scenario`` on the clock it will really run on, and a line saying which and why.

    A clock asked for (``clock:`` in the file, or ``--clock``) is kept: a reason to keep
    real time is then an error (:class:`ConfigError`), never a quiet fallback.
    """
    if scenario.clock == "scaled":
        return scenario, f"scaled ({scenario.time_scale:g}x)"
    outside = []
    if toxiproxy_url:
        outside.append(f"TOXIPROXY_URL={toxiproxy_url} names a toxiproxy-server on real time")
    if interactive:
        outside.append("--interactive pages a human, who reads and types in real time")
    if not outside:
        return scenario, "virtual (every part runs in this process)"
    if "clock" in scenario.source:
        raise ConfigError(
            f"{outside[0]}: it cannot join a game day on the virtual clock ({scenario.file}: "
            "clock: virtual, or --clock virtual); use --clock scaled"
        )
    scaled = dataclasses.replace(scenario, clock="scaled")
    return scaled, f"scaled ({scenario.time_scale:g}x: {outside[0]})"
