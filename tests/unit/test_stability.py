"""Identical circuits answered with drifting distributions: the stability SLI, each
circuit against its own baseline, and the drifted_results gate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.errors import ScenarioError
from harness.scenario.parse import load_scenario
from harness.scoring import GateSpec, SloSpec, score
from harness.scoring.stability import baselines, drifted
from harness.scoring.views import job_views
from tests.unit.journals import Journal, config

PERFECT = {"00": 512, "11": 512}  # fidelity 1.0
NOISY = {"00": 470, "11": 480, "01": 40, "10": 34}  # fidelity 0.928
NOISIER = {"00": 440, "11": 450, "01": 70, "10": 64}  # fidelity 0.869


def _journal(later_sharp: dict[str, int]) -> list[dict[str, Any]]:
    """Two circuits, 8 jobs each: ``sharp`` keeps 1.0 for its first 5 jobs then gives
    ``later_sharp``; ``blurry`` gives 0.928 throughout, which is its own normal."""
    j = Journal()
    for n in range(8):
        j.job(n, 10.0 * n, done=10.0 * n + 5, circuit="sharp",
              counts=PERFECT if n < 5 else later_sharp)  # fmt: skip
        j.job(100 + n, 10.0 * n + 1, done=10.0 * n + 6, circuit="blurry", counts=NOISY)
    return j.end(300.0)


def _cfg(max_drop: float = 0.05, baseline: int = 5) -> Any:
    slos = (
        SloSpec("correctness", 0.9, min_fidelity=0.8),
        SloSpec("stability", 0.9, max_drop=max_drop, baseline=baseline),
    )
    return config(slos=slos, gates=(GateSpec("drifted_results", "max", 0.0),))


def test_each_circuit_is_judged_against_its_own_baseline() -> None:
    result = score(_journal(NOISY), _cfg())
    correctness, stability = result.slos
    # every result is above the correctness bound: one bound for all circuits sees nothing
    assert (correctness.good, correctness.bad) == (16, 0)
    # sharp's last 3 jobs fell 0.072 below its baseline of 1.0; blurry never moved; the
    # 10 baseline jobs are not judged
    assert (stability.good, stability.bad, stability.total) == (3, 3, 6)
    assert result.drifted == 3
    (gate,) = result.gates
    assert (gate.value, gate.passed) == (3, False)


def test_a_drop_within_max_drop_is_good() -> None:
    result = score(_journal(NOISY), _cfg(max_drop=0.1))
    assert result.slos[1].bad == 0
    assert result.drifted == 0
    assert result.gates[0].passed


def test_the_baseline_is_the_median_of_the_first_jobs_in_submission_order() -> None:
    jobs = job_views(_journal(NOISIER))
    base = baselines(jobs.values(), 5, end=300.0)
    assert base["sharp"][0] == pytest.approx(1.0)
    assert base["blurry"][0] == pytest.approx(0.928, abs=1e-3)
    assert base["sharp"][1] == {f"j{n}" for n in range(5)}
    # a baseline needs its full count of completed jobs: none for sharp by t=40
    assert "sharp" not in baselines(jobs.values(), 5, end=40.0)
    assert drifted(jobs["j0"], base, 0.05) is None  # made the baseline
    assert drifted(jobs["j7"], base, 0.05) is True
    assert drifted(jobs["j7"], base, 0.2) is False


def test_a_wrong_result_after_the_baseline_drifted() -> None:
    j = Journal()
    for n in range(5):
        j.job(n, 10.0 * n, done=10.0 * n + 5, circuit="c", counts=PERFECT)
    j.job(5, 60.0, done=65.0, circuit="c", counts={"00": 3})  # shots do not add up
    result = score(j.end(100.0), _cfg())
    assert (result.slos[1].bad, result.drifted) == (1, 1)


def test_without_a_stability_slo_the_gate_has_no_value() -> None:
    cfg = config(gates=(GateSpec("drifted_results", "max", 0.0),))
    result = score(_journal(NOISY), cfg)
    assert result.drifted is None
    assert not result.gates[0].passed


def _scenario(tmp_path: Path, slo: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(f"name: s\nduration: 5m\nbackends: [{{name: m}}]\nslos:\n  {slo}\n")
    return path


def test_the_scenario_sets_max_drop_and_baseline(tmp_path: Path) -> None:
    s = load_scenario(_scenario(tmp_path, "stability: {objective: 0.9, max_drop: 0.04}"))
    (slo,) = s.slos
    assert (slo.name, slo.max_drop, slo.baseline) == ("stability", 0.04, 5)


@pytest.mark.parametrize(
    ("slo", "where"),
    [
        ("stability: {objective: 0.9}", "slos.stability"),
        ("stability: {objective: 0.9, max_drop: 2}", "slos.stability.max_drop"),
        ("stability: {objective: 0.9, max_drop: 0.1, baseline: 0}", "slos.stability.baseline"),
        ("correctness: {objective: 0.9, max_drop: 0.1}", "slos.correctness"),
    ],
)
def test_bad_stability_settings_name_their_place(tmp_path: Path, slo: str, where: str) -> None:
    with pytest.raises(ScenarioError) as info:
        load_scenario(_scenario(tmp_path, slo))
    assert where in str(info.value)
