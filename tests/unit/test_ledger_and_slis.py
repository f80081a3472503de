"""The ledger (canaries, recovered, lost) and the correctness and queue-wait SLIs."""

from __future__ import annotations

import random

import pytest

from harness.load import circuits
from harness.scoring import SloSpec, score
from tests.unit.journals import Journal, config


def test_a_canary_result_from_another_job_is_unexpected_and_names_its_owner():
    j = Journal()
    j.job(1, 10.0, done=20.0, nonce="01")
    j.job(2, 10.0, done=20.0, nonce="10", counts={"01": 980, "10": 44})  # job 1's result
    j.job(3, 10.0, done=20.0, nonce="11", counts={"00": 1000, "11": 24})  # nobody's
    s = score(j.end(100.0), config())
    led = s.ledger
    assert (led.ok, led.unexpected, led.canaries) == (1, 2, 3)
    by_job = {u.job: u for u in led.unexpected_results}
    assert (by_job["j2"].got, by_job["j2"].belongs_to) == ("01", "j1")
    assert (by_job["j3"].got, by_job["j3"].belongs_to) == ("00", None)


def test_canaries_survive_noise_when_the_nonce_still_dominates():
    j = Journal()
    j.job(1, 10.0, done=20.0, nonce="10", counts={"10": 700, "11": 200, "00": 124})
    assert score(j.end(100.0), config()).ledger.ok == 1


def test_a_decaying_qubit_that_moves_the_mode_is_noise_not_another_jobs_result():
    # regression: under a bad qubit (T1 collapsing during idle) a canary's mode was the
    # nonce with that bit decayed, and the ledger called it "unexpected" (misdelivered)
    j = Journal()
    j.job(1, 10.0, done=20.0, nonce="11", counts={"01": 520, "11": 430, "00": 74})
    j.job(2, 10.0, done=20.0, nonce="01")  # the job whose nonce that mode is
    cfg = config(slos=(SloSpec("correctness", 0.9, min_fidelity=0.8),))
    s = score(j.end(100.0), cfg)
    assert (s.ledger.ok, s.ledger.unexpected) == (2, 0)
    (correctness,) = s.slos
    assert (correctness.good, correctness.bad) == (1, 1)  # the noise is still caught here


def test_canary_circuits_put_x_gates_on_the_nonce_bits_in_qiskit_order():
    c = circuits.canary(3, "011")  # c[0] and c[1] are 1: qubits 0 and 1 flipped
    assert "x q[0];" in c.qasm
    assert "x q[1];" in c.qasm
    assert "x q[2];" not in c.qasm
    drawn = {
        circuits.for_job(circuits.circuit("canary-5"), random.Random(i)).nonce for i in range(50)
    }
    assert len(drawn) > 10
    assert all(n is not None and len(n) == 5 and n != "00000" for n in drawn)
    assert circuits.for_job(circuits.circuit("bell"), random.Random(1)).nonce is None


def test_indeterminate_jobs_that_completed_after_all_are_recovered():
    j = Journal()
    j.add(10.0, "job.submitted", job="a", shots=1024, width=2)
    j.add(40.0, "job.indeterminate", job="a", status=0, error="timeout")
    j.add(90.0, "job.completed", job="a", counts={"00": 1024})  # the client reconciled
    j.add(10.0, "job.submitted", job="b", shots=1024, width=2)
    j.add(40.0, "job.indeterminate", job="b", status=0, error="timeout")
    j.add(60.0, "backend.execution", idempotency_key="b", shots=1024, qpu_s=1.0, status="DONE",
          started=50.0)  # fmt: skip
    j.add(10.0, "job.submitted", job="c", shots=1024, width=2)
    j.add(40.0, "job.indeterminate", job="c", status=0, error="timeout")
    led = score(j.end(100.0), config()).ledger
    assert (led.recovered, led.indeterminate, led.ok) == (2, 1, 0)


def test_a_key_the_sut_scoped_still_names_its_job():
    # the reference orchestrator sends <tenant>/<key> to backends (issue 16, item 1)
    j = Journal()
    j.add(10.0, "job.submitted", job="b", shots=1024, width=2)
    j.add(40.0, "job.indeterminate", job="b", status=0, error="timeout")
    j.add(60.0, "backend.execution", idempotency_key="tenant%2F1/b", shots=1024, qpu_s=1.0,
          status="DONE", started=50.0)  # fmt: skip
    led = score(j.end(100.0), config()).ledger
    assert (led.recovered, led.indeterminate) == (1, 0)


def test_every_job_is_counted_exactly_once():
    j = Journal()
    j.job(1, 1.0, done=5.0)
    j.job(2, 1.0, done=5.0, ok=False)
    j.job(3, 1.0, done=None)  # lost
    j.job(4, 1.0, done=5.0, counts={"00": 3})  # wrong shot count
    j.job(5, 1.0, done=5.0, nonce="01", counts={"10": 1024})
    led = score(j.end(100.0), config()).ledger
    parts = (led.ok, led.failed, led.wrong, led.unexpected, led.indeterminate, led.recovered,
             led.lost)  # fmt: skip
    assert parts == (1, 1, 1, 1, 0, 0, 1)
    assert sum(parts) == led.submitted


def test_correctness_sli_judges_fidelity_against_its_bound():
    j = Journal()
    j.job(1, 10.0, done=20.0)  # fidelity ~1 vs the Bell ideal
    j.job(2, 10.0, done=20.0, counts={"00": 900, "01": 124})  # fidelity ~0.44
    j.job(3, 10.0, done=20.0, ok=False)  # failed: not a correctness event
    cfg = config(slos=(SloSpec("correctness", 0.9, min_fidelity=0.8),))
    (slo,) = score(j.end(100.0), cfg).slos
    assert (slo.good, slo.bad, slo.total) == (1, 1, 2)


def test_queue_wait_sli_uses_the_backend_start_of_the_jobs_key():
    j = Journal()
    j.job(1, 100.0, done=200.0, started=130.0)  # waited 30 s: good
    j.job(2, 100.0, done=300.0, started=250.0)  # waited 150 s: bad at 100 + 60
    j.job(3, 100.0, done=None)  # never started: bad at its deadline
    j.job(4, 100.0, done=110.0, ok=False)  # failed fast, never started: success SLI only
    j.job(5, 100.0, done=140.0)  # no backend record: completion bounds the wait: good
    cfg = config(slos=(SloSpec("queue_wait", 0.9, threshold=60.0),))
    s = score(j.end(1000.0), cfg)
    (slo,) = s.slos
    assert (slo.good, slo.bad) == (2, 2)
    bad_ticks = [t.start for t in s.ticks if t.total.get("queue_wait") and not t.healthy]
    assert bad_ticks == [160.0]


def test_cost_per_ok_job_includes_duplicates():
    j = Journal()
    j.job(1, 1.0, done=50.0, started=10.0)
    j.add(20.0, "backend.execution", idempotency_key="j1", shots=1024, qpu_s=1.0, status="DONE",
          started=15.0)  # fmt: skip
    led = score(j.end(100.0), config()).ledger
    assert (led.duplicated, led.duplicate_executions) == (1, 1)
    assert led.shots_per_ok_job == 2048
    assert led.qpu_seconds_per_ok_job == pytest.approx(2.0)
