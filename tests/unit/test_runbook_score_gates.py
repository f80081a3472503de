"""Runbook scoring, the resilience score, the new gates and the stop conditions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.scoring import (
    GateSpec,
    JournalView,
    SloSpec,
    StepSpec,
    StopRule,
    Trigger,
    Weights,
    score,
    stop_check,
)
from tests.unit.journals import Journal, config, outage_journal, scored_outage

RUNBOOK = (
    StepSpec("ack", Trigger("alert"), expect="alert", within=60.0),
    StepSpec("restart", Trigger("step", "ack"), action="HTTP POST /admin/restart", within=30.0),
    StepSpec("fixed", expect="mitigation", within=300.0),  # default: after the previous step
    StepSpec("calm", Trigger("sli", "success", 0.5), expect="recovery", within=600.0),
    StepSpec("never", Trigger("at", value=5000.0), expect="alert", within=10.0),
)


def incident() -> Journal:
    j = outage_journal(bad_from=300.0, bad_until=400.0)
    j.fault(300.0, 360.0)
    j.add(330.0, "alert", status="firing", name="X")
    j.add(340.0, "runbook.step", id="restart", status="failed", by="automation",
          action="HTTP POST /admin/restart", detail="503")  # fmt: skip
    j.add(375.0, "runbook.step", id="restart", status="done", by="automation",
          action="HTTP POST /admin/restart", detail="200")  # fmt: skip
    return j


def untyped_incident() -> Journal:
    """:func:`incident` with no step done: no ``runbook.step`` record at all."""
    j = incident()
    j.records = [r for r in j.records if r["type"] != "runbook.step"]
    return j


def test_runbook_steps_due_done_deadline_and_order():
    s = score(incident().end(1205.0), config(runbook=RUNBOOK))
    steps = {r.id: r for r in s.runbook}
    assert (steps["ack"].triggered_at, steps["ack"].done_at, steps["ack"].status) == (
        330.0, 330.0, "done")  # fmt: skip
    restart = steps["restart"]
    assert (restart.triggered_at, restart.done_at) == (330.0, 375.0)
    assert restart.status == "late"  # 45 s > 30 s
    assert restart.deadline_met is False
    # the restart action is the mitigation: "fixed" is due when restart is done
    assert (steps["fixed"].triggered_at, steps["fixed"].done_at) == (375.0, 375.0)
    calm = steps["calm"]
    # tick [300, 310) is exactly 50% (the 295 s job ok, the 300 s job failed): not below
    assert calm.triggered_at == 320.0
    assert (calm.done_at, calm.status) == (410.0, "done")  # the recovery found at 410 s
    assert all(steps[k].in_order for k in ("ack", "restart", "fixed", "calm"))
    assert steps["never"].status == "not triggered"
    (inc,) = s.incidents
    assert (inc.mitigated_at_s, inc.mitigation) == (375.0, "runbook: restart")
    assert inc.tta_s == 30.0


def test_missed_steps_fail_the_runbook_gate():
    j = untyped_incident()
    gates = (GateSpec("runbook_steps_missed", "max", 0.0),)
    s = score(j.end(1205.0), config(runbook=RUNBOOK, gates=gates))
    steps = {r.id: r for r in s.runbook}
    assert steps["restart"].status == "missed"
    # its trigger (restart done) never came, but its incident did: missed, not skipped
    assert (steps["fixed"].status, steps["fixed"].blocked_by) == ("missed", "restart")
    (gate,) = s.gates
    assert (gate.value, gate.passed) == (2, False)


def test_doing_nothing_in_an_interactive_game_day_misses_every_step_of_the_chain():
    # issue 13: nobody typed anything, so every step after the first was "not triggered"
    # and did not count: the run passed with a runbook gate of max 1
    j = untyped_incident()
    j.add(0.0, "run.config", interactive=True, source={})
    gates = (GateSpec("runbook_steps_missed", "max", 1.0),)
    s = score(j.end(1205.0), config(runbook=RUNBOOK, gates=gates))
    steps = {r.id: r for r in s.runbook}
    assert steps["ack"].status == "missed"
    assert [(steps[k].status, steps[k].blocked_by) for k in ("restart", "fixed")] == [
        ("missed", "ack"),
        ("missed", "restart"),
    ]
    assert steps["calm"].status == "missed"  # its own trigger held; nobody typed it
    assert steps["never"].status == "not triggered"  # its own condition never held
    assert s.gates[0].value == 4
    assert s.passed is False
    assert s.resilience.parts["runbook"] == 0.0


def test_a_chain_whose_first_step_never_became_due_is_not_triggered():
    steps = (
        StepSpec("ack", Trigger("alert"), expect="alert"),
        StepSpec("act", Trigger("step", "ack"), action="HTTP POST /x"),
        StepSpec("then", action="HTTP POST /y"),
    )
    s = score(outage_journal().end(1205.0), config(runbook=steps))
    assert [(r.status, r.blocked_by) for r in s.runbook] == [("not triggered", None)] * 3
    assert s.resilience.parts["runbook"] is None


@pytest.mark.parametrize(
    ("restart_done", "in_order"),
    [
        (378.000, True),  # 9 ms before "ack": the same instant at the scoring's resolution
        (372.0, True),  # 6 s before: the same tick
        (368.0, False),  # 10 s before "ack" was done: a tick apart, out of order
    ],
)
def test_steps_are_ordered_at_the_scoring_resolution(restart_done: float, in_order: bool):
    steps = (
        StepSpec("ack", Trigger("fault"), action="HTTP POST /ack"),
        StepSpec("restart", Trigger("fault"), action="HTTP POST /restart"),
    )
    j = outage_journal()
    j.fault(300.0, 360.0)
    j.add(378.009, "runbook.step", id="ack", status="done", by="automation")
    j.add(restart_done, "runbook.step", id="restart", status="done", by="automation")
    s = score(j.end(1205.0), config(runbook=steps))
    assert [r.in_order for r in s.runbook] == [True, in_order]


def test_interactive_runs_count_only_what_the_responder_typed():
    j = incident()
    j.add(0.0, "run.config", interactive=True, source={})
    j.add(360.0, "runbook.step", id="ack", status="done", by="responder")
    s = score(j.end(1205.0), config(runbook=RUNBOOK))
    steps = {r.id: r for r in s.runbook}
    assert (steps["ack"].done_at, steps["ack"].by) == (360.0, "responder")
    assert steps["calm"].status == "missed"  # observed, but nobody typed it
    (inc,) = s.incidents
    assert inc.tta_s == 60.0  # acknowledged when the responder typed, not when automation acted
    j.add(340.0, "responder.ack", page="alert X firing", paged_at=330.0)
    (inc,) = score(j.end(1205.0), config(runbook=RUNBOOK)).incidents
    assert inc.tta_s == 40.0  # `ack` at the prompt acknowledges before any step is typed


def test_resilience_score_hand_computed():
    j = outage_journal(bad_from=300.0, bad_until=400.0)
    j.fault(300.0, 360.0)
    j.job(999, 10.0, done=None)  # one lost job out of 241
    cfg = config(
        slos=(SloSpec("success", 0.9),),
        weights=Weights(correctness=1.0, recovery=1.0, slo=1.0, runbook=5.0),
        recovery_target=60.0,
    )
    s = score(j.end(1205.0), cfg)
    (inc,) = s.incidents
    assert inc.ttr_s == 110.0  # healthy from 410 s (the job failing at 400 s spoils 400..410)
    parts = s.resilience.parts
    assert parts["correctness"] == pytest.approx(1 - 1 / 241)
    assert parts["recovery"] == pytest.approx(60.0 / 110.0)
    slo = s.slos[0]
    assert parts["slo"] == pytest.approx(1 - min(1.0, slo.bad / (0.1 * slo.total)))
    assert parts["runbook"] is None  # no runbook: its weight does not count
    expected = 100 * sum(parts[k] or 0.0 for k in ("correctness", "recovery", "slo")) / 3
    assert s.resilience.score == pytest.approx(expected, abs=0.01)
    gated = score(j.end(1205.0), config(gates=(GateSpec("score", "min", 99.0),)))
    assert gated.gates[0].passed is False


@settings(max_examples=25, deadline=None)
@given(length=st.integers(1, 30), extra=st.integers(1, 20))
def test_a_longer_outage_never_scores_better(length: int, extra: int):
    def resilience(ticks: int) -> float:
        value = scored_outage(300.0, ticks * 10.0).resilience.score
        assert value is not None
        return value

    assert resilience(length + extra) <= resilience(length)


def test_time_gates_fail_when_the_time_is_missing():
    j = outage_journal()
    j.fault(300.0, 360.0)
    gates = tuple(GateSpec(n, "max", 600.0) for n in ("tta", "ttm", "burn_rate_ttd"))
    assert [g.passed for g in score(j.end(1205.0), config(gates=gates)).gates] == [False] * 3


def test_stop_conditions_on_the_journal_so_far():
    j = Journal()
    for n in range(60):
        j.job(n, float(n), done=n + 2.0, ok=n < 40)  # failures from t=42 on
    j.job(100, 10.0, done=None)  # accepted, unanswered
    records = sorted(j.records, key=lambda r: r["t"])
    slos = (SloSpec("success", 0.9),)
    rule = StopRule("burn_rate", above=5.0, window=10.0)
    assert stop_check(JournalView.of(records), config(slos=slos, stop=(rule,)), 40.0, 300.0) is None
    hit = stop_check(JournalView.of(records), config(slos=slos, stop=(rule,)), 61.0, 300.0)
    assert hit is not None
    assert hit.name == "burn_rate"
    assert hit.value == pytest.approx(10.0)  # all bad over (51, 61]: 100% / 10%
    lost = StopRule("lost_jobs", above=0.0, window=30.0)
    assert stop_check(JournalView.of(records), config(slos=slos, stop=(lost,)), 39.0, 300.0) is None
    assert (
        stop_check(JournalView.of(records), config(slos=slos, stop=(lost,)), 41.0, 300.0)
        is not None
    )
    failed = StopRule("failed_jobs", above=19.0)
    hit = stop_check(JournalView.of(records), config(slos=slos, stop=(failed,)), 70.0, 300.0)
    assert hit is not None
    assert hit.value == 20.0
