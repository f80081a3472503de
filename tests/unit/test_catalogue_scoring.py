"""Scoring added for the scenario catalogue (issue 15): spend budgets, ..."""

from __future__ import annotations

import pytest

from harness.scenario.parse import load_scenario
from harness.scoring import GateSpec, SpendBudget, score
from tests.unit.journals import Journal, config
from tests.unit.test_scenario import MINIMAL, error_of, write


def test_spend_counts_every_execution_against_the_budget():
    j = Journal()
    for n in range(4):
        j.job(n, 10.0 * n, done=10.0 * n + 5, ok=n != 3)
    for key, status in (("j0", "DONE"), ("j1", "DONE"), ("j2", "DONE"), ("j3", "ERROR"),
                        ("j3", "ERROR")):  # fmt: skip
        j.add(20.0, "backend.execution", idempotency_key=key, shots=1024, qpu_s=2.0, status=status)
    gates = (GateSpec("budget_consumed", "max", 1.0), GateSpec("shots_per_ok_job", "max", 1500))
    s = score(j.end(100.0), config(budget=SpendBudget(shots=4096, qpu_seconds=20.0), gates=gates))
    assert s.spend is not None
    assert (s.spend.shots, s.spend.qpu_seconds) == (5 * 1024, 10.0)
    assert (s.spend.shots_consumed, s.spend.qpu_consumed) == (1.25, 0.5)
    assert s.spend.consumed == 1.25  # the worse of the two
    assert [(g.name, g.value, g.passed) for g in s.gates] == [
        ("budget_consumed", 1.25, False),
        ("shots_per_ok_job", pytest.approx(5 * 1024 / 3), False),
    ]
    unbudgeted = score(j.end(100.0), config(gates=gates[:1]))
    assert unbudgeted.spend is not None
    assert unbudgeted.spend.consumed is None
    assert not unbudgeted.gates[0].passed  # a gate without its figure fails


def test_budget_section_is_validated(tmp_path):
    s = load_scenario(write(tmp_path, MINIMAL + "budget: {shots: 1000, qpu_seconds: 5m}\n"))
    assert s.scoring_config().budget == SpendBudget(1000, 300.0)
    assert load_scenario(write(tmp_path, MINIMAL + "budget: {}\n")).budget is None
    for text, path in (
        ("budget: {dollars: 5}\n", "budget.dollars"),
        ("budget: {shots: 0}\n", "budget.shots"),
        ("budget: {qpu_seconds: soon}\n", "budget.qpu_seconds"),
    ):
        assert error_of(tmp_path, MINIMAL + text).path == path, text
    err = error_of(tmp_path, MINIMAL.replace("mttr: {max: 10m}", "budget_consumed: {max: 1}"))
    assert err.path == "gates.budget_consumed"
    assert "needs a budget" in err.reason
