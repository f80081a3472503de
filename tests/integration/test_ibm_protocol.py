"""The real, unmodified qiskit-ibm-runtime client against a fake cloud's IBM protocol.

Configured by environment only, through the backend's fault proxy: the primitives
(SamplerV2, EstimatorV2, the executor program and the client-side Sampler/Estimator
built on it) in job, session and batch mode return correct, noisy results computed on
Aer; sessions expire at their max TTL in the middle of a workload; jobs are found
again by id. The faults every protocol shares are in test_protocol_faults.py.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from subprocess import PIPE
from typing import Any

import pytest

from fake_backends import switches
from fake_backends.api.ibm.settings import client_environment
from harness.faults.backend import ConfigChange
from harness.faults.queue import Stall
from harness.load.circuits import circuit
from harness.scoring import hellinger_fidelity
from tests.integration import ibm_client
from tests.integration.conftest import Rig
from tests.integration.protocols import IbmObserver, Outcome

GHZ3 = circuit("ghz-3").ideal


def observer(r: Rig) -> IbmObserver:
    assert isinstance(r.observer, IbmObserver)
    return r.observer


async def result_of(r: Rig, submitted: Outcome) -> list[dict[str, Any]]:
    assert submitted.ok, submitted
    out = await observer(r).result(submitted.value)
    assert out.ok, out
    return list(out.value)


def test_an_orchestrator_needs_only_environment_variables(tmp_path):
    """A fresh process, no code but ``QiskitRuntimeService()``: the env is all it gets."""

    async def main() -> str:
        from fake_backends.cloud import FakeCloud
        from fake_backends.executor import AerExecutor
        from fake_backends.server import serve_cloud
        from fake_backends.spec import BackendSpec
        from plumbing.clock import ScaledClock

        async with AerExecutor(workers=1) as ex:
            spec = BackendSpec(name="manila")
            cloud = FakeCloud(spec, clock=ScaledClock(1.0), executor=ex)
            async with serve_cloud(cloud):
                env = {k: v for k, v in os.environ.items() if not k.startswith("QISKIT")}
                env.update(
                    client_environment(cloud.url, "key-manila", "manila"), HOME=str(tmp_path)
                )
                code = (
                    "from qiskit_ibm_runtime import QiskitRuntimeService\n"
                    "b = QiskitRuntimeService().backend('manila')\n"
                    "print(b.name, b.num_qubits, b.status().status_msg)\n"
                )
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    code,
                    env=env,
                    stdout=PIPE,
                    stderr=PIPE,
                )
                out, err = await asyncio.wait_for(proc.communicate(), 120)
                assert proc.returncode == 0, err.decode()
                return out.decode().strip()

    assert asyncio.run(main()) == "manila 5 active"
    assert not (tmp_path / ".qiskit").exists()  # nothing saved, nothing read


@pytest.mark.parametrize("mode", ["job", "session", "batch"])
async def test_sampler_and_estimator_in_every_execution_mode(protocol_rig, mode):
    r = await protocol_rig("ibm")
    o = observer(r)
    if mode != "job":
        opened = await o.call(ibm_client.open_mode, mode)
        assert opened.ok, opened
    (sampled,) = await result_of(r, await o.call(ibm_client.sample, 3, 2000))
    assert sampled["shots"] == sum(sampled["counts"].values()) == 2000
    fidelity = hellinger_fidelity(sampled["counts"], GHZ3)
    assert 0.7 < fidelity < 0.99, sampled  # real device noise: clearly GHZ, not ideal
    (estimated,) = await result_of(r, await o.call(ibm_client.estimate, 0.02))
    zz, xx, yy, zi = estimated["evs"]
    assert 0.7 < zz < 0.99
    assert 0.7 < xx < 0.99
    assert -0.99 < yy < -0.7
    assert abs(zi) < 0.1
    assert all(0 < s < 0.05 for s in estimated["stds"])
    assert [e["status"] for e in r.events.of("backend.execution")] == ["DONE", "DONE"]
    sampler_job, estimator_job = sorted(r.cloud.jobs.values(), key=lambda j: j.created_at)
    assert estimator_job.program is not None
    # one circuit per measurement basis: {ZZ, ZI} commute qubit-wise, XX and YY do not
    assert len(estimator_job.program.circuits) == 3
    if mode != "job":
        status = await o.call(ibm_client.mode_status)
        assert status.value["details"]["mode"] == ("batch" if mode == "batch" else "dedicated")
        assert status.value["status"] == "In progress, accepting new jobs"
        assert (await o.call(ibm_client.close_mode)).ok
        closed = await o.call(ibm_client.mode_status)
        assert closed.value["status"] == "Closed"  # closed: no jobs pending, none accepted
        listed = await o.call(ibm_client.jobs)
        assert {session for *_, session in listed.value} == {opened.value}


async def test_executor_program_and_the_client_side_primitives_on_it(protocol_rig):
    r = await protocol_rig("ibm")
    o = observer(r)
    (item,) = await result_of(r, await o.call(ibm_client.execute, 600))
    assert item["meas"]["shape"] == [600, 3]
    assert hellinger_fidelity(item["meas"]["counts"], GHZ3) > 0.7
    (sampled,) = await result_of(r, await o.call(ibm_client.client_side, "sampler"))
    assert sampled["shots"] == 800
    assert hellinger_fidelity(sampled["counts"], GHZ3) > 0.7
    (estimated,) = await result_of(r, await o.call(ibm_client.client_side, "estimator"))
    # measurement twirling and its readout correction run on the client: ZZ near 1
    assert 0.8 < estimated["evs"] < 1.1
    listed = await o.call(ibm_client.jobs)
    assert [program for _, _, program, _ in listed.value] == ["executor"] * 3


async def test_a_session_expires_at_its_max_ttl_in_the_middle_of_a_workload(protocol_rig):
    r = await protocol_rig("ibm")
    o = observer(r)
    opened = await o.call(ibm_client.open_mode, "session", 3)  # max_time: 3 s
    assert opened.ok, opened
    first = await o.call(ibm_client.sample, 3, 500)
    await result_of(r, first)
    await r.inject(Stall())
    queued = await o.call(ibm_client.sample, 3, 500)
    assert queued.ok
    (closed,) = await r.events.until("backend.session_closed", within=30)
    assert closed["reason"] == "max TTL reached"
    assert closed["cancelled_jobs"] == [queued.value]
    waited = await o.wait(queued.value)
    assert waited.value["status"] == "CANCELLED"
    refused = await o.call(ibm_client.sample, 3, 500)
    assert (refused.ok, refused.status, refused.code) == (False, 400, "IBMRuntimeError")
    assert "1217" in refused.message
    assert "Session has been closed" in refused.message
    status = await o.call(ibm_client.mode_status)
    assert status.value["status"] == "Closed"
    await r.revert(Stall())


async def test_jobs_are_found_again_by_id_and_listed(protocol_rig):
    r = await protocol_rig("ibm")
    o = observer(r)
    submitted = await o.call(ibm_client.sample, 3, 300)
    await result_of(r, submitted)
    assert (await o.reauth()).ok  # a new service, as after an orchestrator restart
    found = await o.call(ibm_client.job, submitted.value)
    assert found.value == {"status": "DONE", "program": "sampler"}
    listed = await o.call(ibm_client.jobs)
    assert [(job_id, status) for job_id, status, *_ in listed.value] == [(submitted.value, "DONE")]
    usage = await o.call(ibm_client.usage)
    assert usage.value["usage_consumed_seconds"] == pytest.approx(0.2)
    tagged = await o.call(ibm_client.sample, 2, 100, ["orch:a", "req:1"])
    found = await o.call(ibm_client.jobs, None, ["req:1"])  # an orchestrator's own lookup
    assert [job_id for job_id, *_ in found.value] == [tagged.value]
    assert (await o.call(ibm_client.jobs, None, ["req:1", "other"])).value == []


async def test_a_parameter_sweep_runs_and_a_job_over_the_circuit_limit_is_refused(protocol_rig):
    r = await protocol_rig("ibm")
    o = observer(r)
    swept = await o.call(ibm_client.sweep, 11, 400)
    assert swept.ok, swept
    ones = await o.call(ibm_client.sweep_ones, swept.value)
    assert ones.ok, ones
    # sx rz(theta) sx: P(1) = cos^2(theta / 2), from 1 at theta 0 to 0 at pi (noisy)
    assert ones.value[0] > 0.85
    assert ones.value[-1] < 0.15
    assert 0.3 < ones.value[5] < 0.7
    too_big = await o.call(ibm_client.sweep, 10_001, 10)
    assert (too_big.ok, too_big.status) == (False, 400), too_big
    assert "job too large: over 10,000 circuits" in too_big.message
    assert len(r.cloud.jobs) == 1


@pytest.mark.parametrize("basis", [None, ("ecr", "id", "rz", "sx", "x")])
async def test_a_configuration_change_voids_circuits_transpiled_for_the_old_target(
    protocol_rig, basis
):
    """IBM checks ISA circuits against the configuration it serves now: a coupler taken
    out (and the basis changed: cx -> ecr) refuses a circuit transpiled before; a
    refreshed backend (``backend.refresh()``) has a Target without it, and what is
    transpiled for that runs (in the new basis: cx is refused while it is served);
    reverted (and refreshed again), the old circuit runs again."""
    r = await protocol_rig("ibm")
    o = observer(r)
    await result_of(r, await o.call(ibm_client.sample, 3, 300))
    couplers = await o.call(ibm_client.isa_couplers, 3)
    assert couplers.ok, couplers
    pair = couplers.value[0]
    fault = ConfigChange(switches.ConfigChange(basis, ((pair[0], pair[1]),)))
    await r.inject(fault)
    stale = await o.call(ibm_client.sample, 3, 300)  # the client's cached circuit
    assert (stale.ok, stale.status) == (False, 400), stale
    assert f"on qubits {tuple(pair)} is not supported" in stale.message
    assert "ISA circuits only" in stale.message
    has_pair = await o.call(ibm_client.refresh_backend, pair)
    assert has_pair.value is False, has_pair  # neither direction, no gate
    assert pair not in (await o.call(ibm_client.isa_couplers, 3)).value
    (fresh,) = await result_of(r, await o.call(ibm_client.sample, 3, 300))
    assert hellinger_fidelity(fresh["counts"], GHZ3) > 0.6
    # the client checks a circuit against its own Target before sending it
    refused = await o.call(ibm_client.sample_earlier, 3, 300)
    assert (refused.ok, refused.code) == (False, "IBMInputValueError"), refused
    await r.revert(fault)
    assert (await o.call(ibm_client.refresh_backend, pair)).value is True
    (earlier,) = await result_of(r, await o.call(ibm_client.sample_earlier, 3, 300))
    assert hellinger_fidelity(earlier["counts"], GHZ3) > 0.6


async def test_hostile_bodies_get_the_ibm_error_shape(protocol_rig, http):
    """Deep JSON, lone surrogates and NaN: a 400 in IBM's error shape, not a 500."""
    r = await protocol_rig("ibm")
    base = r.cloud.url + "/ibm"
    form = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "key-manila"}
    async with http.post(base + "/iam/identity/token", data=form) as resp:
        token = (await resp.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    deep = ("[" * 1000 + "]" * 1000).encode()
    for path in ("/jobs", "/sessions"):
        for body in (deep, b'{"program_id": "\\ud800"}', b'{"params": NaN}'):
            url = base + "/experimental/api/v1" + path
            async with http.post(url, data=body, headers=headers) as resp:
                answer = await resp.json(content_type=None)
            assert resp.status == 400, (path, body[:20], resp.status, answer)
            assert answer["errors"][0]["code"] == "invalid_json", answer
    # found by the IBM fuzzer (tests/fuzz/test_ibm_api.py): a form that cannot be parsed
    # was a 500 from the IAM endpoint
    no_boundary = {"Content-Type": "multipart/form-data"}
    async with http.post(base + "/iam/identity/token", data=b"x", headers=no_boundary) as resp:
        answer = await resp.json(content_type=None)
    assert resp.status == 400, answer
    assert answer["context"]["reason"] == "invalid_body", answer


@pytest.mark.slow
async def test_a_refused_token_exchange_stalls_the_client_for_a_minute(protocol_rig):
    """ibm-cloud-sdk-core never clears its in-flight mark after a failed exchange: the
    next exchange of the same client waits until that mark is 60 s old."""
    from harness.faults.auth import TokenExpiry

    r = await protocol_rig("ibm")
    o = observer(r)
    fault = TokenExpiry(status=503)
    await r.inject(fault)
    blocked = await o.reauth(find_backend=True)  # two exchanges in one service
    await r.revert(fault)
    assert blocked.code == "QiskitBackendNotFoundError"
    assert blocked.seconds >= 55
    assert len([w for w in blocked.warnings if "access token" in w]) == 2


@pytest.mark.parametrize("partial", [False, True])
def test_the_parents_sampler_results_decode_like_the_sdk_encoders(partial):
    """The parent writes plain SamplerV2 results without qiskit: byte for byte what the
    worker's RuntimeEncoder writes, once decoded by the SDK."""
    import datetime
    import random

    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit.primitives.containers.sampler_pub import SamplerPub
    from qiskit_ibm_runtime import RuntimeEncoder
    from qiskit_ibm_runtime.decoders.result_decoder import ResultDecoder

    from fake_backends.api.ibm import worker
    from fake_backends.api.ibm.results import sampler_json
    from fake_backends.executor import RunOutput
    from fake_backends.results import row_bytes

    theta = Parameter("t")
    qc = QuantumCircuit(1)  # ISA for a generic device: rz, sx, x, cx
    qc.sx(0)
    qc.rz(theta, 0)
    qc.sx(0)
    qc.measure_all()
    wide = QuantumCircuit(11)  # two bytes per shot
    wide.x(range(0, 11, 2))
    wide.measure_all()
    pubs = [SamplerPub.coerce((qc, [[0.0], [3.1]], 40)), SamplerPub.coerce((wide, None, 30))]
    params = json.loads(json.dumps({"pubs": pubs, "options": {}}, cls=RuntimeEncoder))
    prep = worker.prepare("generic:12", "sampler", params, 1)
    rng = random.Random(5)
    outputs = []
    for unit, shots in zip(prep["units"], prep["shots"], strict=True):
        width = row_bytes(unit[2])
        kept = shots // 2 if partial else shots
        n = unit[2]  # clbits: shots never set the bits above them
        rows = b"".join(rng.randrange(2**n).to_bytes(width, "big") for _ in range(kept))
        outputs.append(RunOutput({}, None, rows))
    now = datetime.datetime.now(datetime.UTC).isoformat()
    meta = {"started": now, "finished": now, "partial": partial}
    mine = ResultDecoder.decode(sampler_json(prep["plan"], outputs, meta))
    theirs = ResultDecoder.decode(
        worker.result("sampler", prep["plan"], [(o.counts, o.packed) for o in outputs], meta)
    )
    assert len(mine) == len(theirs) == 2
    for a, b in zip(mine, theirs, strict=True):
        assert a.data.meas.array.tobytes() == b.data.meas.array.tobytes()
        assert (a.data.meas.num_bits, a.data.meas.shape) == (
            b.data.meas.num_bits,
            b.data.meas.shape,
        )
        assert a.metadata == b.metadata
    assert mine[0].data.meas.shape == (2,)
    assert (
        mine.metadata["execution"]["execution_spans"]
        == theirs.metadata["execution"]["execution_spans"]
    )


def test_a_pub_that_costs_too_much_is_refused_before_anything_is_bound():
    """The worker side's own cost check (the client sends loops as they are)."""
    from qiskit import QuantumCircuit
    from qiskit_ibm_runtime import RuntimeEncoder

    from fake_backends.api.ibm import worker
    from fake_backends.errors import CircuitRejected

    qc = QuantumCircuit(1, 1)
    with qc.for_loop(range(10**9)):
        qc.x(0)
    qc.measure(0, 0)
    params = json.loads(json.dumps({"pubs": [(qc,)], "version": 2}, cls=RuntimeEncoder))
    with pytest.raises(CircuitRejected, match="too costly: over 1,000 operations"):
        worker.prepare("FakeManilaV2", "sampler", params, 0, max_operations=1000)
    deep = QuantumCircuit(1, 1)
    for _ in range(30):
        deep.x(0)
    deep.measure(0, 0)
    params = json.loads(json.dumps({"pubs": [(deep,)], "version": 2}, cls=RuntimeEncoder))
    with pytest.raises(CircuitRejected, match="too deep: depth 31, at most 20"):
        worker.prepare("FakeManilaV2", "sampler", params, 0, max_depth=20)


def test_an_executor_item_over_the_circuit_limit_is_refused_before_binding():
    import numpy as np
    from qiskit import QuantumCircuit
    from qiskit.circuit import Parameter
    from qiskit_ibm_runtime import Executor, QuantumProgram
    from qiskit_ibm_runtime.options_models.executor import ExecutorOptions
    from qiskit_ibm_runtime.quantum_program.params_converters import (
        QUANTUM_PROGRAM_PARAMS_CONVERTERS,
    )

    from fake_backends.api.ibm import worker
    from fake_backends.errors import CircuitRejected

    qc = QuantumCircuit(1, 1)
    qc.rz(Parameter("t"), 0)
    qc.measure(0, 0)
    converter = QUANTUM_PROGRAM_PARAMS_CONVERTERS[Executor._SCHEMA_VERSION]

    def params(points: int) -> dict[str, Any]:
        program = QuantumProgram(shots=10)
        program.append_circuit_item(qc, circuit_arguments=np.zeros((points, 1)))
        encoded = converter.encoder(program, ExecutorOptions())
        return dict(encoded.model_dump(mode="json"))

    assert len(worker.prepare("FakeManilaV2", "executor", params(3), 0)["units"]) == 3
    with pytest.raises(CircuitRejected, match="job too large: over 10,000 circuits"):
        worker.prepare("FakeManilaV2", "executor", params(10_001), 0)
