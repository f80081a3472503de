"""The backlog per tick and what an incident did to jobs, on hand-computed journals."""

from __future__ import annotations

from harness.scoring import JournalView, score
from harness.scoring.inflight import InFlight, in_flight
from tests.unit.journals import Journal, config, outage_journal


def test_jobs_in_flight_and_the_oldest_ones_age_per_tick():
    j = Journal()
    j.job(0, 0.0, done=5.0)
    j.job(1, 3.0, done=25.0)
    j.job(2, 12.0, done=None)  # accepted, never finished: in flight to the end
    j.add(14.0, "job.submitted", job="j3", shots=10, width=2, ideal={"00": 1.0})
    j.add(15.0, "job.indeterminate", job="j3", error="timeout")  # never accepted
    jobs = JournalView.of(sorted(j.records, key=lambda r: r["t"])).jobs
    assert in_flight(jobs.values(), 10.0, 4, 40.0) == (
        InFlight(1, 7.0),  # at 10 s: j1, 7 s old (j0 finished at 5 s)
        InFlight(2, 17.0),  # at 20 s: j1 and j2
        InFlight(1, 18.0),  # at 30 s: j2 (j1 finished at 25 s)
        InFlight(1, 28.0),
    )


def test_an_incident_says_how_many_jobs_it_hurt_and_its_worst_latency():
    j = outage_journal(bad_from=300.0, bad_until=400.0)  # jobs every 5 s, 5 s long
    j.fault(300.0, 360.0)
    j.job(999, 320.0, done=700.0)  # stuck: latency bad at its 380 s deadline, done at 700 s
    s = score(j.end(1205.0), config())
    (inc,) = s.incidents
    assert inc.recovered_at_s is not None
    # the 20 jobs failing in [300, 400) and the stuck one; not the fine ones around them
    assert inc.affected_jobs == 21
    assert (inc.worst_latency_s, inc.worst_latency_in_flight) == (380.0, False)
    backlog = {round(t.start): f for t, f in zip(s.ticks, s.in_flight, strict=True)}
    # at 610 s: the stuck job (290 s old) and the one submitted at 610 s
    assert backlog[600] == InFlight(2, 290.0)


def test_a_job_that_never_finished_makes_the_worst_latency_a_lower_bound():
    j = outage_journal(bad_from=300.0, bad_until=400.0)
    j.fault(300.0, 360.0)
    j.job(999, 320.0, done=None)  # lost: never finished
    (inc,) = score(j.end(1205.0), config()).incidents
    assert inc.recovered_at_s is None  # stuck to the end: never healthy again
    assert (inc.worst_latency_s, inc.worst_latency_in_flight) == (1205.0 - 320.0, True)


def test_an_incident_without_trouble_affects_no_job():
    j = outage_journal(bad_from=2000.0, bad_until=2000.0)
    j.fault(300.0, 360.0)
    (inc,) = score(j.end(1205.0), config()).incidents
    assert (inc.affected_jobs, inc.worst_latency_s, inc.worst_latency_in_flight) == (
        0, 5.0, False)  # fmt: skip
