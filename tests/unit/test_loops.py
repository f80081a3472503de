"""Hybrid loops: the ansatz and its optimiser, the workload's loops on a fake clock,
and their scoring (iteration SLI, per-loop figures, gates)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from harness.journal.store import Journal
from harness.load.config import WorkloadConfig
from harness.load.loops import LoopConfig, ansatz, next_theta
from harness.load.workload import Workload
from harness.scoring import GateSpec, SloSpec, score
from harness.sut.api import JobState
from plumbing.clock import FakeClock
from tests.unit import journals
from tests.unit.scenario_files import SMALLEST, error_of
from tests.unit.test_workload import FakeJobApi, of, play


def test_the_ansatz_ideal_is_the_state_it_prepares() -> None:
    from qiskit import qasm3
    from qiskit.quantum_info import Statevector

    for theta in (0.3, 1.2, math.pi / 2, 3.0):
        c = ansatz(theta)
        qc = qasm3.loads(c.qasm)
        qc.remove_final_measurements()
        probs = Statevector(qc).probabilities_dict()
        assert {k: round(v, 9) for k, v in probs.items() if v > 1e-12} == {
            k: round(v, 9) for k, v in c.ideal.items()
        }


def test_the_optimiser_climbs_on_the_measured_shortfall_and_stops_at_pi() -> None:
    assert next_theta(1.0, {"00": 1000, "11": 0}) == pytest.approx(1.5)
    assert next_theta(1.0, {"00": 0, "1 1": 1000}) == 1.0  # nothing short: stays
    assert next_theta(3.1, {"00": 900, "11": 100}) == math.pi
    assert next_theta(1.0, {}) == 1.0


class LoopApi(FakeJobApi):
    """Completes each job at its second poll with counts that depend on its circuit."""

    def __init__(self) -> None:
        super().__init__(polls=2)
        self.circuits: dict[str, str] = {}
        self.live: set[str] = set()  # loop jobs submitted and not yet completed
        self.overlap = False

    async def submit(
        self, *, circuit: str, shots: int, key: str, tenant: str, fmt: str = "qasm3"
    ) -> str:
        sut_id = await super().submit(circuit=circuit, shots=shots, key=key, tenant=tenant)
        loop = key.rsplit("-", 1)[0]
        self.overlap |= any(k.rsplit("-", 1)[0] == loop for k in self.live)
        self.live.add(key)
        self.circuits[sut_id] = circuit
        return sut_id

    async def status(self, job_id: str) -> JobState:
        state = await super().status(job_id)
        if state.state == "completed":
            self.live.discard(job_id.removeprefix("sut-"))
            theta = float(self.circuits[job_id].split("ry(")[1].split(")")[0])
            ones = round(100 * math.sin(theta / 2) ** 2)
            return JobState("completed", {"00": 100 - ones, "11": ones})
        return state


async def test_each_iteration_waits_for_the_last_and_takes_its_parameter_from_it(
    clocked: tuple[FakeClock, Journal],
) -> None:
    clock, journal = clocked
    loops = LoopConfig(count=2, iterations=4, at=10.0, stagger=5.0, poll_interval=2.0)
    cfg = WorkloadConfig(rate=0.01, circuits=("bell",), shots=100, loops=loops)
    api = LoopApi()
    await play(clock, Workload(cfg, api, clock, journal, seed=3), 200.0, 300.0)
    subs = [r for r in of(journal, "job.submitted") if "loop" in r]
    assert sorted((r["loop"], r["iteration"]) for r in subs) == [
        (f"loop-{i}", k) for i in range(2) for k in range(4)
    ]
    assert not api.overlap  # never two jobs of one loop at once
    assert all(r["of"] == 4 for r in subs)
    for i in range(2):
        mine = sorted((r for r in subs if r["loop"] == f"loop-{i}"), key=lambda r: r["iteration"])
        assert mine[0]["t"] == pytest.approx(10.0 + 5.0 * i)
        thetas = [float(r["ideal"]["11"]) for r in mine]
        assert thetas == sorted(thetas)  # climbing on what each result said
        assert len(set(thetas)) == 4


async def test_a_loop_whose_job_fails_stops(clocked: tuple[FakeClock, Journal]) -> None:
    clock, journal = clocked
    loops = LoopConfig(count=1, iterations=5, at=1.0, poll_interval=2.0)
    cfg = WorkloadConfig(rate=0.001, circuits=("bell",), shots=100, loops=loops)
    api = FakeJobApi(refuse={2: 400})  # the second submit (iteration 1) is refused
    await play(clock, Workload(cfg, api, clock, journal, seed=3), 100.0, 200.0)
    iterations = [r["iteration"] for r in of(journal, "job.submitted") if "loop" in r]
    assert iterations == [0, 1]


def _loop_journal() -> list[dict[str, Any]]:
    """Loop a: 3 iterations of 10 s; loop b: 2 of 100 s, then its third fails."""
    j = journals.Journal()
    t = 0.0
    for k in range(3):
        j.add(t, "job.submitted", job=f"a{k}", shots=100, width=2, ideal=journals.IDEAL,
              loop="a", iteration=k, of=3)  # fmt: skip
        j.add(t + 10, "job.completed", job=f"a{k}", counts={"00": 50, "11": 50})
        t += 10
    t = 0.0
    for k in range(3):
        j.add(t, "job.submitted", job=f"b{k}", shots=100, width=2, ideal=journals.IDEAL,
              loop="b", iteration=k, of=3)  # fmt: skip
        if k < 2:
            j.add(t + 100, "job.completed", job=f"b{k}", counts={"00": 50, "11": 50})
        else:
            j.add(t + 5, "job.failed", job=f"b{k}", error="boom")
        t += 100
    return j.end(400.0)


def test_loop_figures_iteration_sli_and_gates() -> None:
    cfg = journals.config(
        slos=(SloSpec("iteration", 0.9, threshold=30.0),),
        gates=(
            GateSpec("iteration_latency_p95", "max", 30.0),
            GateSpec("unfinished_loops", "max", 0.0),
        ),  # fmt: skip
    )
    result = score(_loop_journal(), cfg)
    a, b = result.loops
    assert (a.loop, a.done, a.iterations, a.finished, a.duration) == ("a", 3, 3, True, 30.0)
    assert (b.done, b.finished, b.duration) == (2, False, 200.0)
    assert result.iteration_p95 == 100.0
    (slo,) = result.slos
    assert (slo.good, slo.bad) == (3, 3)  # b's two slow ones at their deadline, and its failure
    gates = {g.name: (g.value, g.passed) for g in result.gates}
    assert gates == {"iteration_latency_p95": (100.0, False), "unfinished_loops": (1, False)}


def test_a_run_without_loops_fails_loop_gates_for_want_of_data() -> None:
    j = journals.Journal()
    j.job(1, 10.0, done=12.0)
    cfg = journals.config(gates=(GateSpec("unfinished_loops", "max", 0.0),))
    result = score(j.end(60.0), cfg)
    assert result.loops == ()
    assert result.gates[0].value is None
    assert not result.gates[0].passed


def test_loops_need_the_builtin_engine(tmp_path: Path) -> None:
    text = SMALLEST + "workload:\n  engine: locust\n  loops: {count: 2}\n"
    err = error_of(tmp_path, text, match="built-in workload")
    assert "workload.loops" in str(err)
