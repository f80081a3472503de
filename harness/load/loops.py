"""Hybrid loops: iterative classical-quantum workloads, VQE-style.

A loop runs ``iterations`` jobs one after the other; each job's circuit depends on the
previous job's result, so nothing of iteration k+1 can start before iteration k's
result is back, and the loop's speed is the sum of every round trip (submit, queue,
run, poll), which is what an iterative algorithm's user waits for.

The circuit is a two-qubit ansatz, ``ry(theta)`` then a CNOT (:func:`ansatz`): it
measures ``00`` with probability cos^2(theta/2) and ``11`` with sin^2(theta/2). The
"optimiser" (:func:`next_theta`) climbs towards theta = pi (all ``11``) by a step
proportional to the ``11`` shortfall it measured, so every parameter depends on a
measured result, as a real variational loop's does. Each loop's first angle comes from
its own seed stream (``loop:<i>``); later angles from results, which the fake backends
seed per execution (``aer:<job>``), so a run is reproducible while the SUT keeps the
jobs' keys.

>>> round(next_theta(1.0, {"00": 600, "11": 424}), 4)
1.2930
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from harness.load.circuits import Circuit

__all__ = ["LoopConfig", "ansatz", "next_theta"]

#: how far one iteration moves theta per unit of ``11`` shortfall (radians)
STEP = 0.5


@dataclass(frozen=True, slots=True)
class LoopConfig:
    """``count`` loops of ``iterations`` jobs each; loop i starts at ``at + i * stagger``
    and polls its job every ``poll_interval`` (scenario seconds)."""

    count: int
    iterations: int
    at: float = 0.0
    stagger: float = 30.0
    poll_interval: float = 2.0
    shots: int = 1024

    def start(self, i: int) -> float:
        return self.at + i * self.stagger


def ansatz(theta: float) -> Circuit:
    """The loop's circuit for parameter ``theta`` (radians) and its ideal distribution."""
    lines = [
        "OPENQASM 3.0;",
        'include "stdgates.inc";',
        "bit[2] c;",
        "qubit[2] q;",
        f"ry({theta!r}) q[1];",
        "cx q[1], q[0];",
        "c = measure q;",
    ]
    stay, flip = math.cos(theta / 2) ** 2, math.sin(theta / 2) ** 2
    ideal = {k: p for k, p in (("00", stay), ("11", flip)) if p > 0}
    return Circuit("ansatz", 2, "\n".join(lines) + "\n", ideal)


def next_theta(theta: float, counts: Mapping[str, int]) -> float:
    """The next parameter from a result's counts (bitstrings may carry spaces)."""
    shots = sum(int(v) for v in counts.values())
    if shots <= 0:
        return theta
    ones = sum(int(v) for k, v in counts.items() if k.replace(" ", "") == "11")
    return min(math.pi, theta + STEP * (1.0 - ones / shots))
