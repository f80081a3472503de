"""``gameday run --check-determinism``: two runs with one seed must get the same inputs.

What the harness decides, read back from each run's journal, is compared in order:

- the runs themselves: scenario, seed, time scale;
- every ``job.submitted``: its key, *due* time (exactly: the plan's scenario time),
  tenant, name, circuit, shots, width, ideal distribution (the job's fingerprint) and
  canary nonce; and the time it was actually sent, within one tick (later is the
  instrument's lag, reported as such, not a different input);
- every ``fault.started`` / ``fault.ended``: id, kind, backends, parameters, scheduled
  start and end, and the actual times within one tick.

The SUT's timing may differ between the runs (that is what a game day measures), so
its records are not compared. A run that stopped early (aborted, interrupted) is
compared over the jobs it submitted. The first difference is reported in words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.journal.records import FAULT_ENDED, FAULT_STARTED, JOB_SUBMITTED, RUN_CONFIG, RUN_ENDED

__all__ = ["Inputs", "first_difference", "inputs_of"]

Record = Mapping[str, Any]

_JOB_FIELDS = ("job", "due", "tenant", "name", "circuit", "shots", "width", "ideal", "nonce")
_FAULT_FIELDS = ("id", "kind", "backends", "params", "at", "until")


@dataclass(frozen=True, slots=True)
class Inputs:
    """The harness-side inputs of one run, from its journal."""

    run: tuple[Any, ...]
    jobs: tuple[Record, ...]
    faults: tuple[Record, ...]
    complete: bool


def inputs_of(records: Sequence[Record]) -> Inputs:
    """What the harness decided in a run (see the module docstring)."""
    config = next((r for r in records if r.get("type") == RUN_CONFIG.name), {})
    ended = next((r for r in reversed(records) if r.get("type") == RUN_ENDED.name), {})
    fault_types = (FAULT_STARTED.name, FAULT_ENDED.name)
    return Inputs(
        run=(config.get("scenario"), config.get("seed"), config.get("time_scale")),
        jobs=tuple(r for r in records if r.get("type") == JOB_SUBMITTED.name),
        faults=tuple(r for r in records if r.get("type") in fault_types),
        complete=ended.get("status") in ("completed", "unreliable"),
    )


def first_difference(a: Inputs, b: Inputs, tick: float) -> str | None:
    """The first way ``b``'s inputs differ from ``a``'s, in words; None if they agree."""
    if a.run != b.run:
        return f"the runs differ: (scenario, seed, time scale) {a.run} vs {b.run}"
    for what, xs, ys, fields in (
        ("job", a.jobs, b.jobs, _JOB_FIELDS),
        ("fault record", a.faults, b.faults, _FAULT_FIELDS),
    ):
        for n, (x, y) in enumerate(zip(xs, ys, strict=False), start=1):
            if (diff := _record_difference(x, y, fields, tick)) is not None:
                return f"{what} #{n} ({_name(x)}): {diff}"
        if len(xs) != len(ys) and a.complete and b.complete:
            return f"run A has {len(xs)} {what}s, run B {len(ys)}"
    return None


def _record_difference(x: Record, y: Record, fields: Sequence[str], tick: float) -> str | None:
    if x.get("type") != y.get("type"):
        return f"{x.get('type')} vs {y.get('type')}"
    for field in fields:
        if x.get(field) != y.get(field):
            return f"{field} {x.get(field)!r} vs {y.get(field)!r}"
    tx, ty = float(x.get("t", 0.0)), float(y.get("t", 0.0))
    if abs(tx - ty) > tick:
        return f"sent at {tx:g}s vs {ty:g}s (more than a {tick:g}s tick apart)"
    return None


def _name(r: Record) -> str:
    return str(r.get("job") or r.get("id") or r.get("type"))
