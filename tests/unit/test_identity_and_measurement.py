"""Duplicates the SUT hides, in-flight jobs, and the instrument's own error (no clock)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.exitcode import ExitCode
from harness.load.circuits import circuit, for_job, tag_of
from harness.scoring import GateSpec, SloSpec, score
from harness.scoring.identity import FingerprintIndex
from tests.unit.journals import Journal, config


def _tagged_job(j: Journal, n: int, t: float, name: str = "ghz-3") -> dict[str, float]:
    """A workload job whose circuit carries the fingerprint rotation; returns its ideal."""
    import random

    c = for_job(circuit(name), random.Random(n), tag=tag_of(n, 0.25))
    j.add(t, "job.submitted", job=f"j{n}", shots=100, width=c.num_qubits, ideal=c.ideal,
          **({"nonce": c.nonce} if c.nonce else {}))  # fmt: skip
    j.add(t + 0.1, "job.accepted", job=f"j{n}", sut_id=f"s{n}")
    return c.ideal


def _execution(j: Journal, t: float, ideal: dict[str, float] | None, key: str | None,
               status: str = "DONE") -> None:  # fmt: skip
    # the backend rounds its fingerprint to 12 decimals: not the harness's exact floats
    marks = {k: round(p, 12) for k, p in ideal.items()} if ideal is not None else None
    j.add(t, "backend.execution", idempotency_key=key, shots=100, qpu_s=1.0, status=status,
          started=t - 1.0, fingerprint=marks)  # fmt: skip


def test_a_keyless_retry_storm_is_counted_as_duplicates():
    # a SUT that retries a submit WITHOUT its key when the answer is lost: one logical
    # job runs 66 times, none of them carrying the key
    j = Journal()
    storm = _tagged_job(j, 1, 10.0)
    calm = _tagged_job(j, 2, 10.0, "canary-4")
    for k in range(66):
        _execution(j, 20.0 + k, storm, key=None)
    _execution(j, 15.0, calm, key="j2")
    j.add(100.0, "job.completed", job="j1", sut_id="s1", counts={"000": 50, "111": 50})
    gates = (GateSpec("duplicate_executions", "max", 0), GateSpec("execution_surplus", "max", 0))
    s = score(j.end(200.0), config(gates=gates))
    led = s.ledger
    assert (led.duplicated, led.duplicate_executions, led.execution_surplus) == (1, 65, 65)
    assert (led.by_fingerprint, led.by_key, led.unattributed) == (67, 0, 0)
    assert led.unkeyed_executions == 66
    assert led.identity_checked == 1  # the canary's nonce agrees with its fingerprint
    assert [g.passed for g in s.gates] == [False, False]
    assert not s.passed


def test_a_rewritten_key_and_a_failed_retry_are_told_apart():
    j = Journal()
    a = _tagged_job(j, 1, 10.0)
    b = _tagged_job(j, 2, 10.0)
    _execution(j, 20.0, a, key="j2")  # the SUT swapped keys: the fingerprint knows better
    _execution(j, 21.0, b, key="j1")
    _execution(j, 22.0, a, key="j1", status="ERROR")  # a retry that failed on the device
    _execution(j, 23.0, {"0": 1.0}, key="someone-else")  # not one of ours
    led = score(j.end(100.0), config()).ledger
    assert led.key_mismatches == 2
    assert (led.duplicated, led.duplicate_executions, led.execution_surplus) == (1, 1, 0)
    assert led.unattributed == 1


def test_fingerprints_need_the_same_distribution_not_the_same_text():
    ideal = {"000": 0.49, "001": 0.01, "110": 0.01, "111": 0.49}
    index = FingerprintIndex([("a", ideal), ("b", {**ideal, "000": 0.48, "111": 0.5})])
    assert index.find({k: v + 1e-12 for k, v in ideal.items()}) == "a"
    assert index.find({"000": 0.5, "111": 0.5}) is None
    # two jobs within the tolerance of each other: ambiguous, so no answer at all
    twins = FingerprintIndex([("a", ideal), ("b", ideal)])
    assert twins.find(ideal) is None


def test_every_planned_job_has_its_own_fingerprint():
    import random

    rng = random.Random(1)
    ideals = [for_job(circuit("bell"), rng, tag=tag_of(n, 0.7)).ideal for n in range(1, 2001)]
    index = FingerprintIndex((str(n), d) for n, d in enumerate(ideals))
    assert all(index.find(d) == str(n) for n, d in enumerate(ideals))


def test_a_stuck_backlog_makes_the_latency_sli_bad_before_any_job_completes():
    j = Journal()
    for n in range(40):  # steady traffic, every job done in 5 s
        j.job(n, n * 5.0, done=n * 5.0 + 5.0)
    for n in range(40, 80):  # from 200 s the SUT stops dispatching: a backlog builds
        j.job(n, n * 5.0, done=None)
    records = j.end(400.0)
    s = score(records, config(), final=False)
    latency_bad = [t for t in s.ticks if t.stuck.get("latency")]
    # the first stuck job crosses its 60 s threshold at 260 s: bad from then on, not
    # only once (if ever) it completes
    first = next(t.start for t in s.ticks if not t.healthy)
    assert first == 260.0
    assert latency_bad
    assert latency_bad[0].start == 270.0
    assert all(not t.healthy for t in s.ticks if t.start >= 260.0)
    assert latency_bad[-1].stuck["latency"] > 10


def test_recovery_waits_for_the_backlog_to_drain():
    def journal(drain_at: float) -> list[dict[str, Any]]:
        j = Journal()
        for n in range(240):
            t = n * 5.0
            stuck = 300.0 <= t < 360.0  # submitted during the fault
            j.job(n, t, done=max(t + 5.0, drain_at) if stuck else t + 5.0)
        j.fault(300.0, 360.0)
        return j.end(1205.0)

    quick = score(journal(400.0), config()).incidents[0]
    slow = score(journal(700.0), config()).incidents[0]
    assert quick.recovered
    assert slow.recovered
    # the backlog drains at 700 s: healthy new jobs alone do not make a recovery
    assert slow.recovered_at_s is not None
    assert slow.recovered_at_s >= 700.0
    assert quick.recovered_at_s is not None
    assert quick.recovered_at_s < 700.0


def _lag(j: Journal, p99: float, *, aer: float | None = None) -> None:
    sources = {"tick": {"n": 100, "p50": 0.01, "p99": p99, "max": p99 * 2},
               "loop": {"n": 900, "p50": 0.01, "p99": p99 / 2, "max": p99}}  # fmt: skip
    j.add(1199.0, "lag.summary", sources=sources, time_scale=60.0)
    if aer is not None:
        _execution(j, 50.0, None, key=None)
        j.records[-1]["aer_lag_s"] = aer


def test_a_run_beyond_its_lag_tolerance_is_unreliable_never_pass_or_fail():
    j = Journal({"name": "demo", "duration": "20m", "backends": [{"name": "m"}]})
    j.job(1, 10.0, done=20.0)
    _lag(j, 16.0)  # p99 16 s against a 10 s tick
    s = score(j.end(1200.0), config(gates=(GateSpec("lost_jobs", "max", 0),)))
    assert s.status == "unreliable"
    assert ExitCode.of_run(s.status, s.passed) == ExitCode.UNRELIABLE == 2
    assert not s.passed
    assert s.gates[0].passed
    assert s.gates[0].note == "not judged: run unreliable"
    m = s.measurement
    assert m is not None
    assert (m.uncertainty, m.worst, m.tolerance) == (16.0, "tick", 10.0)
    assert m.safe_scale == pytest.approx(37.5)  # the run's 60x * 10 s / 16 s
    assert "would have held up to ~37x" in (s.reason or "")


def test_within_tolerance_the_run_is_judged_and_aer_lag_counts():
    j = Journal()
    j.job(1, 10.0, done=20.0)
    _lag(j, 1.0, aer=3.0)  # within a 10 s tick
    s = score(j.end(1200.0), config())
    assert s.status == "completed"
    m = s.measurement
    assert m is not None
    assert m.reliable
    assert (m.uncertainty, m.worst) == (3.0, "aer")
    tight = score(j.records, config(lag_tolerance=2.0))
    assert tight.status == "unreliable"


def test_a_killed_run_is_bounded_by_its_tick_lag_records():
    j = Journal()
    j.job(1, 10.0, done=20.0)
    j.add(10.0, "lag", sources={"tick": {"n": 1, "p50": 0.2, "p99": 0.2, "max": 0.2}})
    j.add(20.0, "lag", sources={"tick": {"n": 3, "p50": 0.1, "p99": 0.6, "max": 0.9}})
    m = score(sorted(j.records, key=lambda r: r["t"]), config()).measurement
    assert m is not None
    (tick,) = m.sources
    assert (tick.n, tick.p99, tick.max) == (4, 0.6, 0.9)


def test_the_latency_slo_is_unchanged_by_stuck_counts():
    # stuck counts weigh on tick health only: each job is one event in the budget
    j = Journal()
    j.job(1, 0.0, done=None)
    cfg = config(slos=(SloSpec("latency", 0.9, threshold=60.0),))
    s = score(j.end(600.0), cfg)
    assert (s.slos[0].bad, s.slos[0].total) == (1, 1)
    assert sum(t.stuck.get("latency", 0) for t in s.ticks) == 53  # ticks 70 s .. 590 s
