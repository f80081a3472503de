"""Calibration drift in scenario time: effects, steps, versions, stale properties.

:class:`CalibrationState` is the versioned calibration of one fake backend. Faults add
*effects* (:class:`Ramp`: multipliers that grow linearly from 1 to a target over a ramp
time, on every qubit or on some), and the backend calls :meth:`CalibrationState.step`
once per scenario tick: the effects are evaluated at that instant and, if the numbers
changed, a new :class:`~fake_backends.calibration.Calibration` version is made. So a
ramp is applied in steps and the noise model is rebuilt at most once per tick.

What the API serves normally follows the true calibration, and ``last_update`` advances
every step. With stale properties on, the served calibration and ``last_update`` freeze
while the true one (the noise jobs really get) keeps drifting: the numbers lie.

>>> state = CalibrationState(nominal, clock, lineage="manila")     # doctest: +SKIP
>>> state.add("drift-1", Ramp(Factors(readout=3.0), start=clock.now(), ramp=600))
>>> state.step()                                                   # at each tick
"""

from __future__ import annotations

import dataclasses
import math
import random
from dataclasses import dataclass

from fake_backends.calibration import Calibration, Factors
from plumbing.clock import Clock

__all__ = ["CalibrationState", "Ramp"]

_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class Ramp:
    """Multipliers reached linearly over ``ramp`` seconds from ``start`` (0 = at once).

    ``qubits`` limits the effect to some physical qubits (None: every qubit).
    """

    target: Factors
    start: float
    ramp: float = 0.0
    qubits: tuple[int, ...] | None = None

    def at(self, now: float) -> Factors:
        if self.ramp <= 0:
            return self.target if now >= self.start else Factors()
        return self.target.toward((now - self.start) / self.ramp)


class CalibrationState:
    """The true and the served calibration of one backend (see the module docstring)."""

    def __init__(self, nominal: Calibration, clock: Clock, *, lineage: str, seed: int = 0) -> None:
        self._clock = clock
        self._lineage = lineage
        self._rng = random.Random(seed)
        self._baseline = nominal
        self._effects: dict[str, Ramp] = {}
        self._applied: tuple[Factors, dict[int, Factors]] = (Factors(), {})
        self.current = nominal
        self.served = nominal
        self.stale = False
        self.last_update = clock.now()
        self.rebuilds = 0

    def load(self, nominal: Calibration) -> None:
        """Start over from a device snapshot (the backend calls this when it starts)."""
        self._baseline = self.current = self.served = nominal
        self._effects.clear()
        self._applied = (Factors(), {})
        self.stale = False
        self.last_update = self._clock.now()

    @property
    def version(self) -> int:
        """Version of the true calibration (what jobs run with)."""
        return self.current.version

    @property
    def effects(self) -> dict[str, Ramp]:
        return dict(self._effects)

    def age(self) -> float:
        """Scenario seconds since the served properties were last updated."""
        return max(0.0, self._clock.now() - self.last_update)

    # -- effects (faults) -----------------------------------------------------

    def add(self, key: str, effect: Ramp) -> None:
        """Add or replace an effect; it takes hold at the next :meth:`step`."""
        if effect.qubits is not None:
            bad = [q for q in effect.qubits if not 0 <= q < self.current.num_qubits]
            if bad:
                raise ValueError(
                    f"qubit {bad[0]} out of range for {self.current.device} "
                    f"({self.current.num_qubits} qubits)"
                )
        self._effects[key] = effect

    def remove(self, key: str) -> bool:
        """Remove an effect (idempotent); the calibration recovers at the next step."""
        return self._effects.pop(key, None) is not None

    def set_stale(self, stale: bool) -> None:
        """Freeze (True) or resume (False) the served properties."""
        if self.stale and not stale:
            self.served = self.current
            self.last_update = self._clock.now()
        self.stale = stale

    def recalibrate(self, jitter: float = 0.0) -> Calibration:
        """Reset: drop every effect and make a fresh baseline (``jitter``: relative sd).

        Always bumps the version, and updates the served properties unless stale.
        """
        self._effects.clear()
        self._applied = (Factors(), {})
        base = self._baseline if jitter <= 0 else self._jittered(jitter)
        self._publish(base.evolve(Factors(), version=self.version + 1, lineage=self._lineage))
        return self.current

    # -- steps -----------------------------------------------------------------

    def step(self) -> bool:
        """Evaluate the effects now; make a new version if the numbers changed."""
        now = self._clock.now()
        factors = Factors()
        per_qubit: dict[int, Factors] = {}
        for effect in self._effects.values():
            f = effect.at(now)
            if effect.qubits is None:
                factors = factors.times(f)
            else:
                for q in effect.qubits:
                    per_qubit[q] = per_qubit.get(q, Factors()).times(f)
        per_qubit = {q: f for q, f in per_qubit.items() if not _close(f, Factors())}
        if _same((factors, per_qubit), self._applied):
            if not self.stale:
                self.last_update = now
            return False
        self._applied = (factors, per_qubit)
        self._publish(
            self._baseline.evolve(
                factors, per_qubit, version=self.version + 1, lineage=self._lineage
            )
        )
        return True

    def _publish(self, calibration: Calibration) -> None:
        self.current = calibration
        self.rebuilds += 1
        if not self.stale:
            self.served = calibration
            self.last_update = self._clock.now()

    def _jittered(self, sd: float) -> Calibration:
        # A recalibration measures new numbers: each one moves by a lognormal factor.
        def j() -> float:
            return math.exp(self._rng.gauss(0.0, sd))

        base = self._baseline
        qubits = tuple(q.scaled(Factors(t1=j(), t2=j(), readout=j())) for q in base.qubits)
        gates = tuple(
            g if g.error is None else dataclasses.replace(g, error=min(0.5, g.error * j()))
            for g in base.gates
        )
        self._baseline = dataclasses.replace(base, qubits=qubits, gates=gates)
        return self._baseline


def _close(a: Factors, b: Factors) -> bool:
    return all(
        abs(x - y) <= _TOLERANCE
        for x, y in ((a.t1, b.t1), (a.t2, b.t2), (a.readout, b.readout), (a.gate, b.gate))
    )


def _same(a: tuple[Factors, dict[int, Factors]], b: tuple[Factors, dict[int, Factors]]) -> bool:
    if not _close(a[0], b[0]) or a[1].keys() != b[1].keys():
        return False
    return all(_close(f, b[1][q]) for q, f in a[1].items())
