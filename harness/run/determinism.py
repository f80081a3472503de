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

On the virtual clock nothing may differ: :func:`journal_difference` compares two
journals record by record, every field, once the fields that depend on the machine
are set aside (:data:`WALL_CLOCK_FIELDS`, and the ports the loopback servers got).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from harness.journal.records import (
    FAULT_ENDED,
    FAULT_STARTED,
    JOB_SUBMITTED,
    RUN_CONFIG,
    RUN_ENDED,
    RUN_STARTED,
)

__all__ = ["WALL_CLOCK_FIELDS", "Inputs", "first_difference", "inputs_of", "journal_difference"]

#: record type -> the fields that are wall-clock readings (they differ between any runs)
WALL_CLOCK_FIELDS: dict[str, tuple[str, ...]] = {
    RUN_STARTED.name: ("started_at", "startup_s"),
    RUN_ENDED.name: ("wall_s",),
}
#: a loopback address with the port the kernel gave a server (differs between runs)
_PORT = re.compile(r"(127\.0\.0\.1|localhost|\[::1\]):\d+")

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


def journal_difference(a: Sequence[Record], b: Sequence[Record]) -> str | None:
    """The first record where journal ``b`` differs from ``a``, in words; None if none.

    Wall-clock fields (:data:`WALL_CLOCK_FIELDS`) and loopback ports are set aside.
    """
    for n, (x, y) in enumerate(zip(a, b, strict=False), start=1):
        x, y = _comparable(x), _comparable(y)
        if x != y:
            keys = [k for k in (*x, *(k for k in y if k not in x)) if x.get(k) != y.get(k)]
            what = f"{x.get('type')} at t={x.get('t')}"
            return f"record #{n} ({what}): {keys[0]} {x.get(keys[0])!r} vs {y.get(keys[0])!r}"
    if len(a) != len(b):
        return f"journal A has {len(a)} records, journal B {len(b)}"
    return None


def _comparable(record: Record) -> dict[str, Any]:
    skip = WALL_CLOCK_FIELDS.get(str(record.get("type")), ())
    return {k: _without_ports(v) for k, v in record.items() if k not in skip}


def _without_ports(value: Any) -> Any:
    if isinstance(value, str):
        return _PORT.sub(r"\1:PORT", value)
    if isinstance(value, Mapping):
        return {_without_ports(k): _without_ports(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_without_ports(v) for v in value]
    return value
