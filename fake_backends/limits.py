"""How much work one circuit may cost a fake cloud: operations, depth and deadlines.

A circuit is client input, and a few hundred bytes of OpenQASM can cost without bound:
a ``for`` loop over a billion iterations keeps an Aer worker busy forever, and gate
definitions nested a few levels deep expand to millions of operations (measured: 541
bytes took 19 s and 1 GB per worker to transpile). So:

- before transpiling, a circuit is *costed*: its operations counted with every gate
  definition and loop body expanded (a loop's body times its iterations, without
  running it), and refused past ``max_operations``; ``while`` loops, whose iterations
  cannot be known, are refused;
- after transpiling, its size and depth are checked again (the transpiler expands
  multi-controlled gates);
- every call into a worker has a wall-clock deadline: past it the worker is killed and
  replaced (:mod:`fake_backends.workers`) and the job fails, or the circuit is refused,
  with a message saying which limit it hit.

========================  ==========  ===================  =================================
limit                     default     range                applies to
========================  ==========  ===================  =================================
``max_operations``        100,000     1 .. 10,000,000      expanded operations, before and
                                                           after transpiling
``max_depth``             100,000     1 .. 10,000,000      depth of the transpiled circuit
``prepare_seconds``       30          0.1 .. 3,600         parse + transpile of one circuit
``run_seconds``           120         0.1 .. 3,600         one Aer batch (a batch that runs
                                                           over is re-run job by job)
``setup_seconds``         600         1 .. 86,400          describing a device, warming noise
========================  ==========  ===================  =================================
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["WorkLimits"]

_RANGES: dict[str, tuple[float, float]] = {
    "max_operations": (1, 10_000_000),
    "max_depth": (1, 10_000_000),
    "prepare_seconds": (0.1, 3600.0),
    "run_seconds": (0.1, 3600.0),
    "setup_seconds": (1.0, 86_400.0),
}


@dataclass(frozen=True, slots=True)
class WorkLimits:
    """The cost limits of the Aer workers (see the module docstring for the ranges)."""

    max_operations: int = 100_000
    max_depth: int = 100_000
    prepare_seconds: float = 30.0
    run_seconds: float = 120.0
    setup_seconds: float = 600.0

    def __post_init__(self) -> None:
        for name, (lo, hi) in _RANGES.items():
            value = getattr(self, name)
            if not lo <= value <= hi:  # NaN fails too
                raise ValueError(f"{name} must be in [{lo:g}, {hi:g}], got {value}")
