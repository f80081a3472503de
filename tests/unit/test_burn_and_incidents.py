"""Burn-rate math and the incident timeline on hand-computed journals."""

from __future__ import annotations

import pytest

from harness.scoring import (
    BurnRule,
    SliEvent,
    SloSpec,
    StepSpec,
    Trigger,
    burn_analysis,
    burn_rate,
    score,
)
from tests.unit.journals import Journal, config

SUCCESS = (SloSpec("success", 0.99),)


def stream(bad_from: int = 501, bad_until: int = 600) -> list[SliEvent]:
    """One event per second at t = 1..1000; bad in [bad_from, bad_until]."""
    return [SliEvent(float(t), not bad_from <= t <= bad_until) for t in range(1, 1001)]


def test_burn_rate_is_error_rate_over_allowed_error_rate():
    evs = [SliEvent(float(i), i % 10 != 0) for i in range(1, 101)]  # 10% bad
    assert burn_rate(evs, 0.99, 100.0, 100.0) == pytest.approx(10.0)
    assert burn_rate(evs, 0.9, 100.0, 100.0) == pytest.approx(1.0)
    assert burn_rate(evs, 0.99, 100.0, 5.0) == pytest.approx(20.0)  # 96..100: one bad of 5
    assert burn_rate(evs, 0.99, 500.0, 10.0) is None  # no events in (490, 500]


def test_weighted_events_count_as_many_requests():
    evs = [SliEvent(1.0, True, weight=90), SliEvent(1.0, False, weight=10)]
    assert burn_rate(evs, 0.99, 1.0, 10.0) == pytest.approx(10.0)


def test_multiwindow_page_fires_when_both_windows_burn_and_resets_with_the_short_one():
    rule = BurnRule(14.4, long=100.0, short=10.0)
    series = burn_analysis({"success": stream()}, SUCCESS, (rule,), tick=10.0, end=1000.0)
    # t=510: long window has 10 bad of 100 (10x) -> no; t=520: 20 of 100 (20x) and short 100x
    assert series.first_page is not None
    assert series.first_page.t == 520.0
    assert series.first_page.long_rate == pytest.approx(20.0)
    assert series.first_page.short_rate == pytest.approx(100.0)
    # from t=610 the short window is clean, so the page resets though the long one burns
    assert [p.t for p in series.pages] == [520.0 + 10 * k for k in range(9)]
    assert series.peak == pytest.approx(100.0)
    assert series.peak_slo == "success"


def test_second_rule_catches_a_slow_burn_the_fast_rule_misses():
    fast, slow = BurnRule(14.4, 100.0, 10.0), BurnRule(6.0, 300.0, 30.0)
    slow_burn = [SliEvent(float(t), t % 10 != 0) for t in range(1, 1001)]  # 10% bad = 10x
    series = burn_analysis({"success": slow_burn}, SUCCESS, (fast, slow), tick=10.0, end=1000.0)
    assert series.pages
    assert {p.rule for p in series.pages} == {slow}


def test_window_scale_shrinks_both_windows():
    assert BurnRule(14.4, 3600.0, 300.0).scaled(0.1) == BurnRule(14.4, 360.0, 30.0)


def outage(mitigate_at: float | None = None) -> Journal:
    """Jobs every 5 s; those submitted in [300, 400) fail; the fault lasts 300..600."""
    j = Journal()
    for n in range(240):
        t = n * 5.0
        j.job(n, t, done=t + 5.0, ok=not 300.0 <= t < 400.0)
    j.fault(300.0, 600.0)
    j.add(330.0, "alert", status="firing", name="X")
    if mitigate_at is not None:
        j.add(mitigate_at, "sut.event", kind="mitigation", name="fixed")
    return j


def test_recovery_waits_for_the_fault_end_unless_mitigated():
    plain = score(outage().end(1205.0), config(slos=(SloSpec("success", 0.95),)))
    (inc,) = plain.incidents
    assert inc.impact_start_s == 300.0
    assert inc.recovered_at_s == 600.0  # healthy from 410 s, but the fault is on until 600 s
    assert inc.ttr_s == 300.0
    assert inc.ttm_s is None
    mitigated = score(
        outage(mitigate_at=400.0).end(1205.0), config(slos=(SloSpec("success", 0.95),))
    )
    (inc,) = mitigated.incidents
    assert (inc.mitigated_at_s, inc.ttm_s, inc.mitigation) == (400.0, 100.0, "SUT: fixed")
    # tick [400, 410) still sees the failure of the job submitted at 395 s
    assert inc.recovered_at_s == 410.0
    assert inc.ttr_s == 110.0


def test_a_crashed_sut_ready_again_is_the_incidents_mitigation():
    j = outage()
    j.add(310.0, "sut.killed", exit_code=-9)
    j.add(370.0, "sut.started", start=2)  # started, not ready yet: no mitigation
    j.add(380.0, "sut.restarted", start=2)
    (inc,) = score(j.end(1205.0), config(slos=(SloSpec("success", 0.95),))).incidents
    assert (inc.mitigated_at_s, inc.ttm_s, inc.mitigation) == (380.0, 80.0, "SUT restarted")


def test_burn_rate_detection_and_acknowledgement_are_reported_beside_the_alert():
    cfg = config(
        slos=(SloSpec("success", 0.95),),
        burn_rules=(BurnRule(14.4, 100.0, 10.0),),
        runbook=(StepSpec("ack", Trigger("alert"), expect="alert", within=60.0),),
    )
    (inc,) = score(outage().end(1205.0), cfg).incidents
    assert (inc.detected_at_s, inc.ttd_s) == (330.0, 30.0)
    # 20 events per 100 s: the long window needs 15 bad (> 0.72) -> bad events 305..375 s
    assert (inc.burn_detected_at_s, inc.burn_ttd_s) == (380.0, 80.0)
    assert (inc.acknowledged_at_s, inc.tta_s) == (330.0, 30.0)


def test_an_sut_that_never_alerts_is_not_detected_even_when_the_burn_rule_pages():
    j = outage()
    j.records = [r for r in j.records if r["type"] != "alert"]
    cfg = config(slos=(SloSpec("success", 0.95),), burn_rules=(BurnRule(14.4, 100.0, 10.0),))
    (inc,) = score(j.end(1205.0), cfg).incidents
    assert inc.ttd_s is None
    assert not inc.detected
    assert inc.burn_ttd_s == 80.0
