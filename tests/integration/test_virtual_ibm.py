"""The IBM Qiskit Runtime protocol on the virtual clock (issue 17 after issue 10).

A fake cloud in a :class:`~plumbing.virtual.VirtualEventLoop`, driven over its IBM
protocol by aiohttp with the very bodies qiskit-ibm-runtime's ``SamplerV2`` posts
(built with the SDK's own encoder, decoded with its decoder): IAM tokens, a batch with
a max TTL, SamplerV2 jobs decoded and assembled in the Aer workers. The session's
expiry timer, the modelled service times and the IAM token lifetime all run in
scenario time: a 25-minute batch plays at once, and two runs of one seed give the same
job ids, states, times and counts. (The real client itself is synchronous and runs in
another process on real time: test_ibm_protocol.py, test_protocol_faults.py.)
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from fake_backends.api.ibm.settings import API_PATH, IAM_PATH, PREFIX
from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from harness.load.circuits import circuit
from plumbing import virtual
from plumbing.clock import VirtualClock

pytest.importorskip("qiskit_ibm_runtime")

PER_JOB_S = 300.0  # five scenario minutes a job, one slot
MAX_TTL_S = 1450  # the batch closes while the fifth job runs and the sixth is queued


def _sampler_body(backend: str, session_id: str) -> bytes:
    """What ``SamplerV2(mode=batch).run([ghz3], shots=256)`` POSTs (the SDK's encoder)."""
    from qiskit import qasm3
    from qiskit.primitives.containers.sampler_pub import SamplerPub
    from qiskit.transpiler import generate_preset_pass_manager
    from qiskit_ibm_runtime import RuntimeEncoder
    from qiskit_ibm_runtime.fake_provider import FakeManilaV2

    pm = generate_preset_pass_manager(backend=FakeManilaV2(), optimization_level=1)
    pub = SamplerPub.coerce((pm.run(qasm3.loads(circuit("ghz-3").qasm)), None, 256))
    params = {"pubs": [pub], "options": {}, "version": 2, "support_qiskit": True}
    body = {"program_id": "sampler", "params": params, "backend": backend}
    body["session_id"] = session_id
    return json.dumps(body, cls=RuntimeEncoder).encode()


def _counts(text: str) -> dict[str, int]:
    from qiskit_ibm_runtime import RuntimeDecoder

    result = json.loads(text, cls=RuntimeDecoder)
    (register,) = result[0].data.values()  # the circuit's one classical register
    return dict(register.get_counts())


async def _batch() -> dict[str, Any]:
    clock = VirtualClock()
    async with AerExecutor(workers=1) as executor:
        spec = BackendSpec(
            name="manila", slots=1, service_time=ServiceTime(PER_JOB_S, 0.0), token_ttl=3600.0
        )
        cloud = FakeCloud(spec, clock=clock, executor=executor, seed=11)
        async with serve_cloud(cloud), aiohttp.ClientSession() as http:
            clock.start()
            base = f"{cloud.url}{PREFIX}"
            form = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": "key-manila"}
            async with http.post(f"{base}{IAM_PATH}/identity/token", data=form) as resp:
                token = await resp.json()
            headers = {"Authorization": f"Bearer {token['access_token']}"}
            posting = {**headers, "Content-Type": "application/json"}
            api = f"{base}{API_PATH}"
            new = {"mode": "batch", "max_ttl": MAX_TTL_S, "backend": "manila"}
            async with http.post(f"{api}/sessions", json=new, headers=headers) as resp:
                assert resp.status == 200, await resp.text()
                session = (await resp.json())["id"]
            body = _sampler_body("manila", session)
            ids = []
            for _ in range(6):
                async with http.post(
                    f"{api}/jobs",
                    data=body,
                    headers={**headers, "Content-Type": "application/json"},
                ) as resp:
                    assert resp.status == 200, await resp.text()
                    ids.append((await resp.json())["id"])
            await clock.sleep(MAX_TTL_S + 60)  # past the max TTL; the token stays valid
            states = {}
            for job_id in ids:
                async with http.get(f"{api}/jobs/{job_id}", headers=headers) as resp:
                    states[job_id] = (await resp.json())["state"]["status"]
            counts = {}
            for job_id in ids:
                if states[job_id] == "Completed":
                    async with http.get(f"{api}/jobs/{job_id}/results", headers=headers) as resp:
                        counts[job_id] = _counts(await resp.text())
            async with http.get(f"{api}/sessions/{session}", headers=headers) as resp:
                details = await resp.json()
            async with http.post(f"{api}/jobs", data=body, headers=posting) as resp:
                refused = (resp.status, (await resp.json())["errors"][0]["code"])
            return {
                "token_expires_in": token["expires_in"],
                "ids": ids,
                "states": states,
                "counts": counts,
                "session": (details["state"], details["closed_reason"]),
                "refused": refused,
                "finished": {j: cloud.jobs[j].finished_at for j in ids},
                "now": clock.now(),
            }


def test_an_ibm_batch_plays_its_max_ttl_in_scenario_time_the_same_in_two_runs():
    run, again = virtual.run(_batch()), virtual.run(_batch())
    assert run["token_expires_in"] == 3600  # the token's scenario lifetime, as issued
    assert MAX_TTL_S + 60 <= run["now"] < MAX_TTL_S + 61  # slept in scenario time
    states = [run["states"][j] for j in run["ids"]]
    # one slot, 300 s a job: the fifth was running at the max TTL and completes; the
    # sixth was queued and is cancelled
    assert states == ["Completed"] * 5 + ["Cancelled"], states
    finished = [run["finished"][j] for j in run["ids"][:5]]
    assert finished == pytest.approx([300.0, 600.0, 900.0, 1200.0, 1500.0], abs=1e-6)
    assert run["session"][0] == "closed"
    assert run["refused"][0] == 400
    for counts in run["counts"].values():
        assert sum(counts.values()) == 256
        assert counts.get("000", 0) + counts.get("111", 0) > 200  # GHZ-3, noisy
    assert again == run  # ids, states, times, counts: the seed fixes them all
