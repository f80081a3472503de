"""Spend against a budget: shots and QPU-seconds the backends executed for the run.

Spend is what the backends did, from their own ``backend.execution`` records (the
ledger's ``shots_executed`` and ``qpu_seconds``): every execution counts, the ones that
failed, the retries and the duplicates included, so a client that answers failures with
resubmits (a retry storm) spends more for the same useful results. Other tenants'
background jobs are nobody's spend.

A scenario's ``budget:`` (:class:`SpendBudget`) caps shots, QPU-seconds or both over the
load phase and drain; ``consumed`` is the larger of the two fractions (1.0: the budget
spent exactly), gated by ``budget_consumed``. Per ok job (``shots_per_ok_job``,
``qpu_seconds_per_ok_job``): the FAILURE_MODES "cost per useful result".
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.scoring.ledger import Ledger

__all__ = ["Spend", "SpendBudget", "spend"]


@dataclass(frozen=True, slots=True)
class SpendBudget:
    """A run's spend budget (``None``: no cap on that unit)."""

    shots: int | None = None
    qpu_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Spend:
    """What the run spent, and how much of its budget (``None`` without one)."""

    shots: int
    qpu_seconds: float
    budget: SpendBudget | None
    shots_consumed: float | None
    qpu_consumed: float | None

    @property
    def consumed(self) -> float | None:
        """The larger share of the budget spent, over the units it caps."""
        shares = [x for x in (self.shots_consumed, self.qpu_consumed) if x is not None]
        return max(shares) if shares else None


def spend(ledger: Ledger, budget: SpendBudget | None) -> Spend:
    """The ledger's spend against ``budget``.

    >>> from harness.scoring.ledger import Ledger
    >>> spend(Ledger(shots_executed=3000, qpu_seconds=9.0), SpendBudget(2000, 30.0)).consumed
    1.5
    """
    shots, qpu = ledger.shots_executed, ledger.qpu_seconds
    if budget is None:
        return Spend(shots, qpu, None, None, None)
    return Spend(
        shots,
        qpu,
        budget,
        shots / budget.shots if budget.shots else None,
        qpu / budget.qpu_seconds if budget.qpu_seconds else None,
    )
