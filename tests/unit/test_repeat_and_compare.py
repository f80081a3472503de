"""Distributions over repeated runs and the compare verdicts (pure functions)."""

from __future__ import annotations

from typing import Any

import pytest

from harness.commands.compare import load, regressions
from harness.errors import ConfigError
from harness.scoring.repeat import distribution, summarise


def test_distribution_nearest_rank_and_missing_values():
    d = distribution([30.0, 10.0, 20.0, 40.0, None])
    assert (d["n"], d["missing"], d["p50"], d["p90"], d["max"]) == (5, 1, 20.0, 40.0, None)
    full = distribution([30.0, 10.0, 20.0])
    assert (full["p50"], full["p90"], full["max"]) == (20.0, 30.0, 30.0)
    assert distribution([])["p50"] is None


def run(ttds: list[float | None], mttr: float | None, score: float) -> dict[str, Any]:
    return {
        "incidents": [{"ttd_s": t, "tta_s": t, "ttm_s": None, "ttr_s": mttr} for t in ttds],
        "mttr_s": mttr,
        "score": {"value": score},
        "error_budget_consumed": 0.1,
    }


def test_summarise_pools_incidents_of_every_run():
    s = summarise([run([10.0, 20.0], 100.0, 90.0), run([30.0], None, 50.0)])
    assert (s["ttd"]["n"], s["ttd"]["p50"], s["ttd"]["max"]) == (3, 20.0, 30.0)
    assert (s["ttm"]["missing"], s["ttm"]["max"]) == (3, None)
    assert (s["mttr"]["n"], s["mttr"]["missing"], s["mttr"]["max"]) == (2, 1, None)
    assert (s["score"]["p50"], s["score"]["max"]) == (50.0, 90.0)


def gate(name: str, op: str, value: float | None) -> dict[str, Any]:
    return {"name": name, "op": op, "threshold": 0, "value": value, "unit": "", "passed": True}


def test_compare_verdicts_follow_the_gate_direction():
    base = {"gates": [gate("mttr", "max", 100.0), gate("score", "min", 80.0),
                      gate("ttd", "max", None), gate("lost_jobs", "max", 0)]}  # fmt: skip
    cur = {"gates": [gate("mttr", "max", 105.0), gate("score", "min", 60.0),
                     gate("ttd", "max", 20.0), gate("lost_jobs", "max", 1),
                     gate("new", "max", 1.0)]}  # fmt: skip
    verdicts = {name: v for name, _, _, v in regressions(base, cur, 0.1, 0.0)}
    assert verdicts == {
        "mttr": "same",  # +5% is inside the tolerance
        "score": "REGRESSED",  # lower is worse for a min gate
        "ttd": "improved",  # detected now, was not
        "lost_jobs": "REGRESSED",  # from 0: any increase
        "new": "new",
    }
    assert {n: v for n, _, _, v in regressions(base, cur, 0.1, 5.0)}["lost_jobs"] == "same"


def timed(name: str, value: float | None, uncertainty: float, note: str | None = None):
    g = {**gate(name, "max", value), "unit": "s", "note": note}
    return {"gates": [g], "measurement": {"uncertainty_s": uncertainty}, "status": "completed"}


def test_a_change_within_the_runs_measurement_uncertainty_is_not_a_regression():
    # TTR 350 s -> 400 s: +14% beats the 10% tolerance, but each run is +-30 s
    (row,) = regressions(timed("mttr", 350.0, 30.0), timed("mttr", 400.0, 30.0), 0.1, 0.0)
    assert row[3] == "within noise"
    (row,) = regressions(timed("mttr", 350.0, 5.0), timed("mttr", 400.0, 5.0), 0.1, 0.0)
    assert row[3] == "REGRESSED"
    # durations only: the uncertainty is in seconds, a count is not widened by it
    count = {**timed("mttr", 0, 30.0), "gates": [gate("lost_jobs", "max", 0)]}
    worse = {**timed("mttr", 0, 30.0), "gates": [gate("lost_jobs", "max", 1)]}
    assert regressions(count, worse, 0.1, 0.0)[0][3] == "REGRESSED"


def test_the_spread_of_repeated_runs_is_noise_and_the_median_is_compared():
    base = [{"gates": [gate("error_budget_consumed", "max", v)], "status": "completed"}
            for v in (0.0014, 0.0016, 0.0015)]  # fmt: skip
    same = [{"gates": [gate("error_budget_consumed", "max", 0.00168)], "status": "completed"}]
    (row,) = regressions(base, same, 0.1, 0.0)
    assert row[1] is not None
    assert row[1].value == 0.0015  # the median
    assert row[3] == "within noise"  # +12% of the median, but inside the 0.0002 spread
    far = [{"gates": [gate("error_budget_consumed", "max", 0.0030)], "status": "completed"}]
    assert regressions(base, far, 0.1, 0.0)[0][3] == "REGRESSED"


def test_no_impact_compares_as_a_zero_ttr():
    base = timed("mttr", None, 1.0, note="no impact")
    assert regressions(base, timed("mttr", 300.0, 1.0), 0.1, 0.0)[0][3] == "REGRESSED"
    assert regressions(timed("mttr", 300.0, 1.0), base, 0.1, 0.0)[0][3] == "improved"


def test_a_report_that_cannot_be_read_is_a_configuration_error(tmp_path):
    with pytest.raises(ConfigError, match=r"cannot read .*nope\.json: No such file"):
        load(tmp_path / "nope.json")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ConfigError, match=r"bad\.json is not JSON: "):
        load(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text("[]")
    with pytest.raises(ConfigError, match="is not a qgameday report.json"):
        load(tmp_path / "other.json")
