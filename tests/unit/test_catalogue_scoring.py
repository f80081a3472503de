"""Scoring added for the scenario catalogue (issue 15): spend budgets, ..."""

from __future__ import annotations

import pytest

from harness.scenario.parse import load_scenario
from harness.scoring import GateSpec, SpendBudget, score
from tests.unit.journals import Journal, config
from tests.unit.scenario_files import MINIMAL, error_of, write


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


def _alerts(j: Journal, *items: tuple[float, str, str, dict[str, str] | None]) -> None:
    for t, status, name, labels in items:
        j.add(t, "alert", status=status, name=name, source="sut", summary="",
              **({"labels": labels} if labels else {}))  # fmt: skip


def test_alert_quality_pages_storms_false_positives_and_unresolved():
    j = Journal()
    for n in range(120):  # a job every 10 s; those submitted in [300, 360) fail
        j.job(n, 10.0 * n, done=10.0 * n + 5, ok=not 300 <= 10.0 * n < 360)
    j.fault(300.0, 360.0)
    b = {"backend": "manila"}
    _alerts(
        j,
        (100.0, "firing", "Noise", None),  # before any incident: a false positive
        (310.0, "firing", "Errors", None),  # the incident's page ...
        (320.0, "firing", "Errors", None),  # ... repeated while firing: the same page
        (315.0, "firing", "Down", b),
        (330.0, "resolved", "Down", b),
        (340.0, "firing", "Down", b),  # flapping: a second page for the same incident
        (350.0, "resolved", "Down", {"backend": "lima"}),  # resolves another identity
        (400.0, "resolved", "Errors", None),
    )
    gates = (
        GateSpec("alert_precision", "min", 1.0),
        GateSpec("alert_recall", "min", 1.0),
        GateSpec("false_positive_pages", "max", 0),
        GateSpec("alerts_per_incident", "max", 2),
        GateSpec("unresolved_alerts", "max", 0),
    )
    s = score(j.end(1300.0), config(gates=gates))
    q = s.alerting
    assert q is not None
    assert [(p.identity, p.t, p.resolved_at, p.incident) for p in q.pages] == [
        ("Noise", 100.0, None, None),
        ("Errors", 310.0, 400.0, "f1"),
        ('Down{backend="manila"}', 315.0, 330.0, "f1"),
        ('Down{backend="manila"}', 340.0, None, "f1"),
    ]
    assert (q.precision, q.recall, q.false_positives, q.unresolved) == (0.75, 1.0, 1, 2)
    assert q.worst_per_incident == 3
    assert {g.name: g.passed for g in s.gates} == {
        "alert_precision": False,
        "alert_recall": True,
        "false_positive_pages": False,
        "alerts_per_incident": False,
        "unresolved_alerts": False,
    }


def test_a_background_condition_is_no_incident_and_pages_in_it_are_false():
    j = Journal()
    for n in range(60):
        j.job(n, 10.0 * n, done=10.0 * n + 5)
    j.add(100.0, "fault.started", id="noise", kind="api.errors", incident=False)
    j.add(500.0, "fault.ended", id="noise", kind="api.errors", reverted=True)
    j.fault(300.0, 330.0)
    _alerts(j, (150.0, "firing", "Errors", None), (160.0, "resolved", "Errors", None))
    s = score(j.end(600.0), config())
    assert [i.id for i in s.incidents] == ["f1"]  # the noise is not an incident
    assert s.alerting is not None
    assert (s.alerting.false_positives, s.alerting.recall) == (1, 0.0)
    assert s.alerting.precision == 0.0


def test_incident_false_is_parsed_and_journalled(tmp_path):
    text = MINIMAL.replace("    duration: 5m\n", "    duration: 5m\n    incident: false\n")
    (fault,) = load_scenario(write(tmp_path, text)).faults
    assert fault.incident is False
    assert error_of(tmp_path, text.replace("incident: false", "incident: maybe")).path == (
        "faults[0].incident"
    )
