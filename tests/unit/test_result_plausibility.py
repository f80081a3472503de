"""Results too good for the device: the correctness SLO's max_fidelity, the
too_good_results gate, and the reference orchestrator's check of who ran a job."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scoring import GateSpec, SloSpec, score
from reference_orchestrator.dispatcher import _simulator
from tests.unit.journals import Journal, config
from tests.unit.scenario_files import error_of

NOISY = {"00": 470, "11": 480, "01": 40, "10": 34}  # fidelity ~0.95
IDEAL_LIKE = {"00": 512, "11": 512}  # fidelity 1.0


def _journal() -> list[dict[str, object]]:
    j = Journal()
    for n in range(10):
        j.job(n, 10.0 * n, done=10.0 * n + 5, counts=IDEAL_LIKE if 3 <= n < 6 else NOISY)
    return j.end(200.0)


def _cfg(ceiling: float | None) -> object:
    slo = SloSpec("correctness", 0.9, min_fidelity=0.6, max_fidelity=ceiling)
    return config(slos=(slo,), gates=(GateSpec("too_good_results", "max", 0.0),))


def test_results_above_max_fidelity_are_bad_events_and_counted() -> None:
    result = score(_journal(), _cfg(0.99))  # type: ignore[arg-type]
    (slo,) = result.slos
    assert (slo.good, slo.bad, slo.max_fidelity) == (7, 3, 0.99)
    assert result.too_good == 3
    (gate,) = result.gates
    assert (gate.value, gate.passed) == (3, False)


def test_without_a_ceiling_perfect_results_are_good_and_the_gate_has_no_value() -> None:
    result = score(_journal(), _cfg(None))  # type: ignore[arg-type]
    assert result.slos[0].bad == 0
    assert result.too_good is None
    assert not result.gates[0].passed  # no bound, no figure: a gate on it cannot pass


def test_max_fidelity_must_be_above_min_fidelity(tmp_path: Path) -> None:
    text = (
        "name: s\nduration: 5m\nbackends: [{name: m}]\n"
        "slos:\n  correctness: {objective: 0.9, min_fidelity: 0.8, max_fidelity: 0.7}\n"
    )
    err = error_of(tmp_path, text, match="max_fidelity")
    assert "slos.correctness.max_fidelity" in str(err)


@pytest.mark.parametrize(
    ("source", "simulated"),
    [
        ("aer_simulator", True),
        ("ibmq_qasm_simulator", True),
        ("fake_manila", False),
        (None, False),
        (7, False),
    ],
)
def test_the_orchestrator_knows_a_simulator_by_name(source: object, simulated: bool) -> None:
    assert _simulator(source) is simulated
