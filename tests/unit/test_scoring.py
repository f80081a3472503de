"""Scoring on synthetic journals with known answers (no clock, no sleeping)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.exitcode import ExitCode
from harness.scoring import GateSpec, SloSpec, hellinger_fidelity, score
from tests.unit.journals import IDEAL, Journal, config, outage_journal, scored_outage


def test_ttr_is_time_from_fault_start_to_stable_recovery():
    j = outage_journal()
    j.fault(300.0, 360.0)
    j.add(330.0, "alert", status="firing", name="X")
    s = score(j.end(1205.0), config())
    (inc,) = s.incidents
    assert inc.impact_start_s == 300.0
    assert inc.ttd_s == pytest.approx(30.0)
    # last failure lands at 415 s; the first healthy tick starts at 420 s
    assert inc.ttr_s == pytest.approx(120.0, abs=10.0)
    assert inc.ttr_s == 120.0
    assert s.mttr_s == 120.0


def test_not_detected_and_not_recovered_are_explicit():
    j = outage_journal(bad_from=300.0, bad_until=1200.0)
    j.fault(300.0, 360.0)
    gates = (GateSpec("mttr", "max", 600.0), GateSpec("ttd", "max", 60.0))
    s = score(j.end(1205.0), config(gates=gates))
    (inc,) = s.incidents
    assert inc.ttd_s is None
    assert not inc.detected
    assert inc.ttr_s is None
    assert not inc.recovered
    assert s.mttr_s is None
    assert [g.passed for g in s.gates] == [False, False]
    assert ExitCode.of_run(s.status, s.passed) == 1


def test_a_fault_without_impact_says_no_impact_not_ttr_zero():
    j = outage_journal(bad_from=0, bad_until=0)
    j.fault(300.0, 360.0)
    s = score(j.end(1205.0), config(gates=(GateSpec("mttr", "max", 60.0),)))
    (inc,) = s.incidents
    assert not inc.impact
    assert inc.ttr_s is None
    assert inc.recovery == "no impact"
    assert inc.recovered  # nothing to recover from is not a failure ...
    assert s.mttr_s is None
    (gate,) = s.gates
    assert (gate.passed, gate.value, gate.note) == (True, None, "no impact")  # ... nor a gap
    assert s.resilience.parts["recovery"] == 1.0


def test_recovery_needs_a_full_stable_window_inside_the_load_phase():
    # the outage lasts until 1150 s: only 50 s of healthy load remain, less than 120 s
    j = outage_journal(bad_from=300.0, bad_until=1150.0)
    j.fault(300.0, 360.0)
    (inc,) = score(j.end(1500.0), config()).incidents
    assert inc.ttr_s is None


def test_stuck_jobs_turn_latency_bad_at_their_deadline():
    j = Journal()
    j.job(1, 100.0, done=None)  # never finishes: lost
    j.job(2, 100.0, done=130.0)  # fine
    j.job(3, 100.0, done=400.0)  # completes, but late
    s = score(j.end(1200.0), config())
    latency = next(r for r in s.slos if r.name == "latency")
    assert (latency.good, latency.bad) == (1, 2)
    bad_ticks = [t.start for t in s.ticks if t.total.get("latency") and not t.healthy]
    assert bad_ticks == [160.0]  # both deadlines at 100 + 60 s
    assert s.ledger.lost == 1
    assert s.ledger.ok == 2


def test_ledger_counts_wrong_results_and_duplicates():
    j = Journal()
    j.job(1, 10.0, done=20.0)
    j.job(2, 10.0, done=20.0, counts={"00": 1000})  # 1000 != 1024 shots
    j.job(3, 10.0, done=20.0, counts={"000": 1024})  # wrong width
    j.job(4, 10.0, done=20.0, ok=False)
    j.add(11.0, "job.submitted", job="j5", shots=1024, width=2, ideal=IDEAL)
    j.add(12.0, "job.indeterminate", job="j5", status=0, error="timeout")
    for key, n in (("j1", 3), ("j2", 1)):
        for _ in range(n):
            j.add(15.0, "backend.execution", idempotency_key=key, shots=1024, qpu_s=2.0)
    j.add(15.0, "backend.execution", idempotency_key=None, shots=1024, qpu_s=2.0)
    led = score(j.end(100.0), config()).ledger
    assert (led.submitted, led.ok, led.wrong, led.failed, led.indeterminate) == (5, 1, 2, 1, 1)
    assert (led.duplicated, led.duplicate_executions) == (1, 2)
    assert (led.executions, led.unkeyed_executions, led.shots_executed) == (5, 1, 5 * 1024)
    assert led.qpu_seconds == 10.0


def test_error_budget_consumed_hand_computed():
    j = Journal()
    for n in range(100):
        j.job(n, float(n), done=n + 1.0, ok=n >= 3)  # 3 bad out of 100
    cfg = config(slos=(SloSpec("success", 0.99),))
    s = score(j.end(200.0), cfg)
    assert s.slos[0].bad == 3
    assert s.error_budget_consumed == pytest.approx(3.0)  # 3 bad / (1% of 100) allowed
    windowed = config(slos=(SloSpec("success", 0.99, window=2400.0),), load_end=1200.0)
    assert score(j.end(200.0), windowed).error_budget_consumed == pytest.approx(1.5)


def test_missing_run_end_means_incomplete_and_exit_5():
    j = Journal()
    j.job(1, 10.0, done=20.0)
    s = score(sorted(j.records, key=lambda r: r["t"]), config())
    assert s.status == "incomplete"
    assert ExitCode.of_run(s.status, s.passed) == ExitCode.INCOMPLETE


def test_invalid_and_interrupted_runs_exit_2():
    for status in ("invalid", "interrupted", "aborted"):
        s = score(Journal().end(10.0, status=status), config())
        assert ExitCode.of_run(s.status, s.passed) == 2


def test_hellinger_fidelity():
    assert hellinger_fidelity({"00": 50, "11": 50}, IDEAL) == pytest.approx(1.0)
    assert hellinger_fidelity({"01": 100}, IDEAL) == 0.0
    assert hellinger_fidelity({"00": 100}, IDEAL) == pytest.approx(0.5)


def test_two_faults_make_two_ordered_incidents():
    j = outage_journal(bad_from=300.0, bad_until=330.0)
    for n, t in enumerate(range(700, 730, 5)):
        j.job(1000 + n, float(t), done=t + 5.0, ok=False)
    j.fault(300.0, 330.0, "first")
    j.fault(700.0, 730.0, "second")
    j.add(310.0, "alert", status="firing", name="X")
    j.add(705.0, "alert", status="firing", name="X")
    s = score(j.end(1205.0), config())
    first, second = s.incidents
    assert (first.id, second.id) == ("first", "second")
    assert first.start_s < first.recovered_at_s < second.start_s  # type: ignore[operator]
    assert (first.ttd_s, second.ttd_s) == (10.0, 5.0)


def test_faults_injected_together_are_one_incident_with_two_causes():
    # regression: the first of two faults starting at the same time had an empty window
    # and was scored "no impact, TTR 0" while the other took all the impact
    j = outage_journal(bad_from=300.0, bad_until=415.0)
    j.fault(300.0, 360.0, "drift")
    j.fault(300.004, 330.0, "stale")  # injected a few ms later, as the timeline does
    j.add(330.0, "alert", status="firing", name="X")
    s = score(j.end(1205.0), config())
    (inc,) = s.incidents
    assert (inc.id, [c.id for c in inc.causes]) == ("drift + stale", ["drift", "stale"])
    assert inc.kind == "auth.token_expiry"  # one kind, named once
    assert (inc.start_s, inc.end_s) == (300.0, 360.0)
    assert inc.ttr_s == pytest.approx(120.0, abs=0.01)
    assert inc.ttd_s == pytest.approx(30.0, abs=0.01)


def test_overlapping_faults_are_one_incident_credited_once_and_counted_once_in_mttr():
    # issue 13: two overlapping faults became two incidents, both credited with the same
    # alert, and MTTR averaged them
    j = outage_journal(bad_from=300.0, bad_until=415.0)
    j.fault(300.0, 360.0, "tokens")
    j.fault(340.0, 400.0, "outage")  # starts while the first is on: the same outage
    j.add(330.0, "alert", status="firing", name="X")
    s = score(j.end(1205.0), config())
    (inc,) = s.incidents
    assert [c.id for c in inc.causes] == ["tokens", "outage"]
    assert (inc.start_s, inc.end_s) == (300.0, 400.0)
    assert inc.ttd_s == pytest.approx(30.0, abs=0.01)
    assert s.mttr_s == inc.ttr_s == pytest.approx(120.0, abs=0.01)


def test_faults_that_only_touch_are_two_incidents():
    j = outage_journal(bad_from=300.0, bad_until=330.0)
    j.fault(300.0, 360.0, "first")
    j.fault(359.997, 420.0, "second")  # journalled a few ms before the first ended
    s = score(j.end(1205.0), config())
    assert [[c.id for c in i.causes] for i in s.incidents] == [["first"], ["second"]]


# -- properties -------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(start=st.integers(30, 80), length=st.integers(1, 20))
def test_ttr_is_never_negative(start: int, length: int):
    (inc,) = scored_outage(start * 10.0, length * 10.0).incidents
    assert inc.ttr_s is not None
    assert inc.ttr_s >= 0


@settings(max_examples=30, deadline=None)
@given(length=st.integers(1, 40), extra=st.integers(1, 20))
def test_a_longer_outage_never_recovers_sooner(length: int, extra: int):
    def ttr(minutes: int) -> float:
        (inc,) = scored_outage(300.0, minutes * 10.0).incidents
        return float("inf") if inc.ttr_s is None else inc.ttr_s

    assert ttr(length) <= ttr(length + extra)


@settings(max_examples=30, deadline=None)
@given(bad=st.integers(0, 50), more=st.integers(1, 10))
def test_budget_consumed_is_monotone_in_bad_events(bad: int, more: int):
    def consumed(n_bad: int) -> float:
        j = Journal()
        for n in range(100):
            j.job(n, float(n), done=n + 1.0, ok=n >= n_bad)
        return score(j.end(200.0), config(slos=(SloSpec("success", 0.9),))).error_budget_consumed

    assert consumed(bad) < consumed(bad + more)
