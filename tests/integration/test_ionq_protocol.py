"""The real, unmodified qiskit-ionq client against a fake cloud's IonQ v0.4 protocol.

Configured by environment only (``IONQ_API_KEY``, ``IONQ_API_URL``), through the
backend's fault proxy: Bell and GHZ circuits in the QIS and the native gateset (the
client's own transpiler to GPI/GPI2/MS) return noisy but correct distributions computed
on Aer; a lost job handle answers 404 (qiskit-ionq #242); malformed requests get 4xx
JSON in IonQ's error shape, never a 5xx. The faults every protocol shares are in
test_protocol_faults.py.
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
from fake_backends.api.ionq.settings import backend_name, client_environment
from harness.faults.api import Errors
from harness.faults.queue import Stall
from harness.load.circuits import circuit
from harness.scoring import hellinger_fidelity
from plumbing.ionq_client import IonqClient
from tests.integration import ionq_client
from tests.integration.conftest import Rig
from tests.integration.protocols import IonqObserver

IONQ = "ionq"


def observer(r: Rig) -> IonqObserver:
    assert isinstance(r.observer, IonqObserver)
    return r.observer


def test_an_orchestrator_needs_only_environment_variables(tmp_path):
    """A fresh process, no code but ``IonQProvider()``: the environment is all it gets."""

    async def main() -> str:
        from fake_backends.cloud import FakeCloud
        from fake_backends.executor import AerExecutor
        from fake_backends.server import serve_cloud
        from fake_backends.spec import BackendSpec
        from plumbing.clock import ScaledClock

        async with AerExecutor(workers=1) as ex:
            cloud = FakeCloud(BackendSpec(name="manila"), clock=ScaledClock(1.0), executor=ex)
            async with serve_cloud(cloud):
                env = {k: v for k, v in os.environ.items() if "IONQ" not in k}
                env.update(client_environment(cloud.url, "key-manila"), HOME=str(tmp_path))
                code = (
                    "from qiskit_ionq import IonQProvider\n"
                    "b = IonQProvider().get_backend('qpu.manila')\n"
                    "print(b.name, b.num_qubits, b.status(), b.calibration().qubits)\n"
                )
                proc = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", code, env=env, stdout=PIPE, stderr=PIPE, cwd=tmp_path
                )
                out, err = await asyncio.wait_for(proc.communicate(), 120)
                assert proc.returncode == 0, err.decode()
                return out.decode().strip()

    assert asyncio.run(main()) == "ionq_qpu.manila 5 True 5"


@pytest.mark.parametrize("gateset", ["qis", "native"])
@pytest.mark.parametrize("qubits", [2, 4])
async def test_bell_and_ghz_are_noisy_but_correct(protocol_rig, gateset, qubits):
    r = await protocol_rig(IONQ)
    o = observer(r)
    assert (await o.call(ionq_client.connect, o.env, o.backend, gateset)).ok
    submitted = await o.submit(qubits=qubits, shots=2000)
    assert submitted.ok, submitted
    out = await o.result(submitted.value)
    assert out.ok, out
    (pub,) = out.value
    # a QPU backend: counts are the probabilities times the shots asked for (rounded)
    assert abs(sum(pub["counts"].values()) - 2000) <= len(pub["counts"])
    assert sum(pub["probabilities"].values()) == pytest.approx(1.0)
    ideal = circuit("bell" if qubits == 2 else f"ghz-{qubits}").ideal
    fidelity = hellinger_fidelity(pub["counts"], ideal)
    assert 0.7 < fidelity < 0.995, pub  # real device noise: clearly GHZ, not ideal
    (job,) = r.cloud.jobs.values()
    assert (job.shots, job.counts is not None) == (2000, True)
    if gateset == "native":  # the client sent IonQ's native gates, the fake ran them
        assert job.circuit is not None
    (execution,) = r.events.of("backend.execution")
    assert execution["status"] == "DONE"


async def test_a_lost_job_handle_answers_404(protocol_rig):
    """qiskit-ionq #242: a job id the cloud does not know (e.g. after a restart) is not
    retried: ``retrieve_job`` raises IonQAPIError 404 at once."""
    r = await protocol_rig(IONQ)
    o = observer(r)
    lost = await o.call(ionq_client.retrieve, "manila-00000000dead")
    assert (lost.ok, lost.code, lost.status) == (False, "IonQAPIError", 404), lost
    assert "job_not_found" in lost.message
    submitted = await o.submit()
    found = await o.call(ionq_client.retrieve, submitted.value)
    assert found.ok, found


async def test_cancel_a_queued_job(protocol_rig):
    r = await protocol_rig(IONQ)
    o = observer(r)
    await r.inject(Stall())
    submitted = await o.submit()
    assert (await o.job_status(submitted.value)).value == "QUEUED"
    assert (await o.cancel(submitted.value)).ok
    waited = await o.wait(submitted.value)
    assert waited.value["status"] == "CANCELLED"
    assert any("Job was cancelled" in w for w in waited.warnings)
    await r.revert(Stall())


async def test_the_reference_orchestrators_client_cancels_a_queued_job(protocol_rig, http):
    """plumbing/ionq_client.py's cancel (``stuck_after`` moves a job stuck QUEUED)."""
    r = await protocol_rig(IONQ)
    client = IonqClient(http, r.cloud.url, r.cloud.name)
    key = (await client.authenticate("key-manila"))["access_token"]
    await r.inject(Stall())
    job_id = (await client.submit(key, circuit=circuit("bell").qasm, shots=100))["id"]
    assert (await client.job(key, job_id))["status"] == "QUEUED"
    await client.cancel(key, job_id)
    assert (await client.job(key, job_id))["status"] == "CANCELLED"
    await r.revert(Stall())


async def test_the_reference_orchestrators_client_reads_the_backend_as_a_native_row(
    protocol_rig, http
):
    """What the dispatcher reads before its first submit (isa_required) and for
    route_by_queue: IonQ compiles QIS gates itself and reports no queue depth."""
    r = await protocol_rig(IONQ)
    client = IonqClient(http, r.cloud.url, r.cloud.name)
    key = (await client.authenticate("key-manila"))["access_token"]
    (row,) = await client.backends(key)
    assert row == {
        "name": "qpu.manila",
        "status": "available",
        "queue_depth": None,
        "isa_required": False,
    }


def _job(**overrides: Any) -> dict[str, Any]:
    body = {
        "type": "ionq.circuit.v1",
        "backend": "qpu.manila",
        "shots": 100,
        "input": {"gateset": "qis", "qubits": 2, "circuit": [{"gate": "h", "targets": [0]}]},
    }
    return {**body, **overrides}


@pytest.mark.parametrize(
    ("headers", "body", "status", "says"),
    [
        ({}, _job(), 401, "missing_api_key"),
        ({"Authorization": "apiKey nope"}, _job(), 401, "invalid_api_key"),
        ({"Authorization": "Bearer key-manila"}, _job(), 401, "missing_api_key"),
        (None, b"{not json", 400, "invalid_json"),
        (None, b"[1, 2]", 400, "invalid_body"),
        (None, _job(type="ionq.qasm3.v1"), 400, "unsupported_job_type"),
        (None, _job(type="ionq.multi-circuit.v1"), 400, "unsupported_job_type"),
        (None, _job(type="zzz"), 400, "invalid_field"),
        (None, _job(backend="qpu.forte-1"), 404, "backend_not_found"),
        (None, _job(backend=7), 400, "invalid_field"),
        (None, _job(shots="many"), 400, "invalid_field"),
        (None, _job(shots=0), 400, "invalid_field"),
        (None, _job(shots=10**9), 400, "invalid_field"),
        (None, _job(metadata=[]), 400, "invalid_field"),
        (None, _job(session_id="s-1"), 400, "invalid_field"),
        (None, _job(input=None), 400, "invalid_circuit"),
        (None, _job(input={"circuit": [{"gate": "u3", "targets": [0]}]}), 400, "u3"),
        (
            None,
            _job(input={"qubits": 40, "circuit": [{"gate": "h", "targets": [0]}]}),
            400,
            "at most 20",
        ),
    ],
)
async def test_malformed_requests_get_ionq_shaped_4xx(
    start_cloud, http, headers, body, status, says
):
    cloud, _ = await start_cloud()
    url = f"{client_environment(cloud.url, 'key-manila')['IONQ_API_URL']}/jobs"
    sent = {"Authorization": "apiKey key-manila"} if headers is None else headers
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    async with http.post(url, data=data, headers=sent) as resp:
        answer = await resp.json()
    assert resp.status == status, answer
    assert answer["statusCode"] == status
    assert answer["error"] in ("Bad Request", "Unauthorized", "Not Found")
    assert says in answer["message"]


async def test_other_routes_refuse_cleanly(start_cloud, http):
    cloud, _ = await start_cloud()
    api = client_environment(cloud.url, "key-manila")["IONQ_API_URL"]
    auth = {"Authorization": "apiKey key-manila"}
    cases = [
        ("GET", f"{api}/jobs/nope", auth, 404),
        ("GET", f"{api}/jobs/nope/results/probabilities", auth, 404),
        ("PUT", f"{api}/jobs/nope/status/cancel", auth, 404),
        ("GET", f"{api}/jobs?limit=0", auth, 400),
        ("GET", f"{api}/backends/qpu.aria-1", {}, 404),
        ("GET", f"{api}/backends/{backend_name('manila')}/characterizations?limit=11", auth, 400),
        ("GET", f"{api}/backends/{backend_name('manila')}/characterizations/nope", auth, 404),
        ("GET", f"{api}/backends/{backend_name('manila')}/characterizations", {}, 401),
        ("DELETE", f"{api}/jobs", auth, 405),
        ("GET", f"{api}/nothing", auth, 404),
    ]
    for method, url, headers, status in cases:
        async with http.request(method, url, headers=headers) as resp:
            answer = await resp.json()
        assert (resp.status, answer["statusCode"]) == (status, status), (url, answer)
    async with http.get(f"{api}/backends/{backend_name('manila')}") as resp:
        row = await resp.json()  # no key needed: the client asks qubits without one
    assert (row["backend"], row["qubits"], row["status"]) == ("qpu.manila", 5, "available")


async def test_results_of_an_unfinished_job_are_refused(protocol_rig, http):
    """qiskit-ionq retries a 409 on a GET, forever: it only fetches results of completed
    jobs, so only a client reading the URL early sees it."""
    r = await protocol_rig(IONQ)
    await r.inject(Stall())
    submitted = await observer(r).submit()
    api = client_environment(r.cloud.url, "key-manila")["IONQ_API_URL"]
    url = f"{api}/jobs/{submitted.value}/results/probabilities"
    async with http.get(url, headers={"Authorization": "apiKey key-manila"}) as resp:
        answer = await resp.json()
    assert (resp.status, answer["error"]) == (409, "Conflict")
    assert "job_not_finished" in answer["message"]
    await r.revert(Stall())


async def test_a_job_is_one_job_for_every_protocol(protocol_rig, http):
    """An IonQ job is the cloud's job: the native API sees it with its counts."""
    r = await protocol_rig(IONQ)
    o = observer(r)
    submitted = await o.submit(qubits=2, shots=500)
    out = await o.result(submitted.value)
    assert out.ok, out
    async with http.post(f"{r.cloud.url}/v1/auth/token", json={"api_key": "key-manila"}) as resp:
        token = (await resp.json())["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with http.get(f"{r.cloud.url}/v1/jobs/{submitted.value}/result", headers=headers) as resp:
        native = await resp.json()
    assert sum(native["counts"].values()) == 500
    assert len(next(iter(native["counts"]))) == 2  # both qubits measured, as IonQ does
    probabilities = {k: v / 500 for k, v in native["counts"].items()}
    assert out.value[0]["probabilities"] == pytest.approx(probabilities)


@pytest.mark.parametrize("status", [500, 503])
async def test_the_results_url_failing_after_the_job_completed(protocol_rig, status):
    """``api.errors`` on the result endpoint: a 500 reaches the caller of ``result()``;
    a 503 is retried (forever, up to 1 s of jitter apart) until the fault ends."""
    r = await protocol_rig(IONQ)
    o = observer(r)
    fault = Errors(switches.ApiErrors(1.0, statuses=(status,), endpoints=("result",)))
    await r.inject(fault)
    submitted = await o.submit()
    assert (await o.wait(submitted.value)).value["status"] == "DONE"
    if status == 500:
        failed = await o.result(submitted.value)
        assert (failed.ok, failed.code, failed.status) == (False, "IonQAPIError", 500), failed
        await r.revert(fault)
        assert (await o.result(submitted.value)).ok
        return
    pending = asyncio.ensure_future(o.result(submitted.value))
    await r.events.until("backend.api_error", 2, within=30)
    assert not pending.done()
    await r.revert(fault)
    out = await pending
    assert out.ok, out
    assert any("Retrying get_results" in w for w in out.warnings)


async def test_a_revoked_api_key_is_refused_and_its_replacement_accepted(start_cloud, http):
    """IonQ sends the key on every call: a key revoked at the provider (a rotation,
    ``auth.credential_revoked``) is refused at once, the replacement works."""
    cloud, _ = await start_cloud()
    api = client_environment(cloud.url, "key-manila")["IONQ_API_URL"]
    url = f"{api}/backends/{backend_name('manila')}/characterizations"
    cloud.control.revoke_api_key("key-manila", "key-manila-2")
    async with http.get(url, headers={"Authorization": "apiKey key-manila"}) as resp:
        answer = await resp.json()
    assert (resp.status, "api_key_revoked" in answer["message"]) == (401, True), answer
    async with http.get(url, headers={"Authorization": "apiKey key-manila-2"}) as resp:
        assert resp.status == 200, await resp.text()
