"""Calibration drift is real: it shows in the results Aer produces, with fixed seeds."""

from __future__ import annotations

import asyncio
import statistics

from fake_backends.calibration import Calibration, Factors
from fake_backends.executor import AerExecutor
from harness.load.circuits import circuit
from harness.scoring import hellinger_fidelity
from tests.integration.test_fake_backend_api import call, token_for

GHZ5 = circuit("ghz-5")
RUNS = 30


async def _fidelities(executor: AerExecutor, calibration: Calibration) -> list[float]:
    prepared = await executor.prepare("FakeManilaV2", "qasm3", GHZ5.qasm, seed=1)
    outs = await asyncio.gather(
        *(executor.submit(calibration, prepared, 1024) for _ in range(RUNS))
    )
    return [hellinger_fidelity(o.counts, GHZ5.ideal) for o in outs]


async def test_readout_x3_drops_ghz5_fidelity_by_more_than_3_sd(executor):
    nominal = Calibration.from_description(await executor.describe("FakeManilaV2"))
    drifted = nominal.evolve(Factors(readout=3.0), version=1, lineage="test")
    base = await _fidelities(executor, nominal)
    worse = await _fidelities(executor, drifted)
    mean, sd = statistics.mean(base), statistics.stdev(base)
    # measured on this machine: ~0.81 nominal, ~0.53 with readout x3, sd ~0.015
    assert 0.75 < mean < 0.87, mean
    assert 0.45 < statistics.mean(worse) < 0.61, statistics.mean(worse)
    assert mean - statistics.mean(worse) >= 3 * max(sd, statistics.stdev(worse))


async def test_a_bad_qubit_hurts_only_circuits_that_use_it(executor):
    nominal = Calibration.from_description(await executor.describe("FakeManilaV2"))
    bad = nominal.evolve(
        Factors(), {4: Factors(0.1, 0.1, 8.0, 10.0)}, version=1, lineage="test-bad"
    )
    bell = circuit("bell")  # transpiled onto qubits 0 and 1 of manila
    prepared = await executor.prepare("FakeManilaV2", "qasm3", bell.qasm, seed=1)
    ok = await executor.submit(bad, prepared, 4000)
    assert hellinger_fidelity(ok.counts, bell.ideal) > 0.9
    worse = statistics.mean(await _fidelities(executor, bad))
    assert worse < statistics.mean(await _fidelities(executor, nominal)) - 0.1


async def test_drift_steps_stale_properties_and_recalibration_over_http(http, start_cloud):
    cloud, events = await start_cloud(calibration_step=3600.0)
    token = await token_for(http, cloud.url)
    props_url = cloud.url + "/v1/backends/manila/properties"
    _, before, _ = await call(http, "GET", props_url, token)
    cloud.control.set_stale(True)
    cloud.control.add_drift("drift", Factors(readout=3.0))
    assert cloud.calibration.version == 0  # effects apply at the next step, not before
    assert cloud.calibration.step()
    _, stale, _ = await call(http, "GET", props_url, token)
    assert stale["version"] == before["version"] == 0  # the served numbers lie
    assert stale["qubits"][0]["readout_error"] == before["qubits"][0]["readout_error"]
    truth = cloud.calibration.current.qubits[0].readout_error
    assert truth == 3 * before["qubits"][0]["readout_error"]
    cloud.control.set_stale(False)
    _, fresh, _ = await call(http, "GET", props_url, token)
    assert fresh["version"] >= 1
    assert fresh["qubits"][0]["readout_error"] == truth
    version = cloud.control.recalibrate(jitter=0.0)
    _, recal, _ = await call(http, "GET", props_url, token)
    assert recal["version"] == version > fresh["version"]
    assert recal["qubits"][0]["readout_error"] == before["qubits"][0]["readout_error"]
    assert [e["version"] for e in events.of("backend.recalibrated")] == [version]


async def test_127_qubit_device_runs_jobs_on_a_sub_device(http, start_cloud, executor):
    cloud, events = await start_cloud(name="sherbrooke", device="FakeSherbrooke")
    token = await token_for(http, cloud.url, "key-sherbrooke")
    status, job, _ = await call(
        http, "POST", cloud.url + "/v1/jobs", token, json={"circuit": GHZ5.qasm, "shots": 1000}
    )
    assert status == 201, job
    await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=60)
    assert len(cloud.jobs[job["id"]].circuit.physical_qubits) == 5
    _, result, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{job['id']}/result", token)
    assert hellinger_fidelity(result["counts"], GHZ5.ideal) > 0.6
    _, props, _ = await call(http, "GET", cloud.url + "/v1/backends/sherbrooke/properties", token)
    assert len(props["qubits"]) == 127
    assert props["snapshot_date"].startswith("20")


async def test_coherence_drift_shows_on_scheduled_idle(executor):
    nominal = Calibration.from_description(await executor.describe("FakeManilaV2"))
    decayed = nominal.evolve(Factors(t1=0.3, t2=0.3), version=1, lineage="test-t1")
    idle = circuit("ghz-5", idle_us=40)
    assert "delay[40us] q;" in idle.qasm

    async def mean_fidelity(c, cal) -> float:
        prepared = await executor.prepare("FakeManilaV2", "qasm3", c.qasm, seed=1)
        outs = await asyncio.gather(*(executor.submit(cal, prepared, 1024) for _ in range(10)))
        return statistics.mean(hellinger_fidelity(o.counts, c.ideal) for o in outs)

    busy_drop = await mean_fidelity(GHZ5, nominal) - await mean_fidelity(GHZ5, decayed)
    idle_nominal = await mean_fidelity(idle, nominal)
    idle_drop = idle_nominal - await mean_fidelity(idle, decayed)
    assert idle_nominal < await mean_fidelity(GHZ5, nominal)  # idling costs fidelity
    assert idle_drop > busy_drop + 0.1  # and T1/T2 drift shows there, not on gates
