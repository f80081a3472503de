"""HTTP-level faults over real HTTP: outage, injected 5xx, rate limits, renamed fields,
partial results, and what /metrics says about them."""

from __future__ import annotations

import asyncio
from typing import Any

from fake_backends.switches import (
    ApiErrors,
    Outage,
    PartialResults,
    RateLimit,
    SchemaChange,
    SimulatorFallback,
)
from harness.load.circuits import circuit
from tests.integration.test_fake_backend_api import call, token_for

BELL = {"circuit": circuit("bell").qasm, "shots": 200}


async def test_outage_answers_503_and_status_offline(http, start_cloud):
    cloud, events = await start_cloud()
    token = await token_for(http, cloud.url)
    cloud.control.set(Outage())
    status, body, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=BELL)
    assert (status, body["error"]["code"]) == (503, "backend_offline")
    _, backends, _ = await call(http, "GET", cloud.url + "/v1/backends", token)
    assert backends["backends"][0]["status"] == "offline"
    cloud.control.clear(Outage)
    status, _, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=BELL)
    assert status == 201
    assert [e["value"] for e in events.of("backend.switch")] == [True, False]


async def test_injected_errors_hit_only_their_endpoints(http, start_cloud):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    cloud.control.set(ApiErrors(1.0, (502,), ("backends",)))
    status, body, _ = await call(http, "GET", cloud.url + "/v1/backends", token)
    assert (status, body["error"]["code"]) == (502, "injected_error")
    status, _, _ = await call(http, "GET", cloud.url + "/v1/backends/manila/properties", token)
    assert status == 200
    assert (await call(http, "GET", cloud.url + "/healthz"))[0] == 200


async def test_lost_answer_after_a_submit_leaves_a_job_behind(http, start_cloud):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    cloud.control.set(ApiErrors(1.0, (503,), ("submit",), after=True))
    body = {**BELL, "idempotency_key": "lost-ack-1"}
    status, _, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    assert status == 503
    cloud.control.clear(ApiErrors)
    status, replay, headers = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    assert (status, headers["Idempotent-Replayed"]) == (200, "true")  # the job did exist
    assert len(cloud.jobs) == 1


async def test_rate_limit_429_with_retry_after_per_tenant(http, start_cloud):
    cloud, _ = await start_cloud(time_scale=1.0)
    token = await token_for(http, cloud.url)
    cloud.control.set(RateLimit(rate=0.1, burst=2))
    codes = [(await call(http, "GET", cloud.url + "/v1/backends", token))[0] for _ in range(3)]
    assert codes == [200, 200, 429]
    _, body, headers = await call(http, "GET", cloud.url + "/v1/backends", token)
    assert body["error"]["code"] == "rate_limited"
    assert int(headers["Retry-After"]) >= 5
    cloud.control.clear(RateLimit)
    assert (await call(http, "GET", cloud.url + "/v1/backends", token))[0] == 200


async def test_schema_change_renames_a_documented_field(http, start_cloud):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    _, job, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=BELL)
    cloud.control.set(SchemaChange("status", "state"))
    _, renamed, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{job['id']}", token)
    assert "status" not in renamed
    assert renamed["state"] in ("QUEUED", "RUNNING", "DONE")
    cloud.control.clear(SchemaChange)
    _, normal, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{job['id']}", token)
    assert "status" in normal


async def test_honest_partial_results_and_metrics(http, start_cloud):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    cloud.control.set(PartialResults(1.0, keep=0.5, silent=False))
    _, job, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=BELL)
    await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=30)
    _, result, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{job['id']}/result", token)
    assert (result["partial"], result["shots"], result["requested_shots"]) == (True, 100, 200)
    assert sum(result["counts"].values()) == 100
    async with http.get(cloud.url + "/metrics") as resp:
        assert resp.status == 200
        text = await resp.text()
    assert 'qgameday_executions_total{backend="manila",status="DONE"} 1.0' in text
    assert 'qgameday_fault_active{backend="manila",fault="partial_results"} 1.0' in text
    assert 'qgameday_calibration_version{backend="manila"} 0.0' in text
    assert "qgameday_calibration_age_seconds" in text
    assert "qgameday_queue_depth" in text
    # issue 13: documented with the backend label, it had none
    (batches,) = [line for line in text.splitlines() if line.startswith("qgameday_aer_batches")]
    name, value = batches.rsplit(" ", 1)
    assert name == 'qgameday_aer_batches_total{backend="manila"}'
    assert float(value) >= 1


async def test_limits_on_qubits_shots_and_priority_are_clear_4xx(http, start_cloud):
    cloud, _ = await start_cloud(name="wide", device="generic:8", max_qubits=4, max_shots=1000)
    token = await token_for(http, cloud.url, "key-wide")
    cases = [
        ({"circuit": circuit("ghz-6").qasm, "shots": 10}, 400, "too_many_qubits"),
        ({"circuit": circuit("ghz-9").qasm, "shots": 10}, 400, "invalid_circuit"),
        ({"circuit": circuit("ghz-3").qasm, "shots": 1001}, 400, "invalid_field"),
        ({"circuit": circuit("ghz-3").qasm, "shots": 10, "priority": 11}, 400, "invalid_field"),
    ]
    for body, status, code in cases:
        got, err, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
        assert (got, err["error"]["code"]) == (status, code), err
    got, job, _ = await call(
        http, "POST", cloud.url + "/v1/jobs", token, json={"circuit": circuit("ghz-4").qasm,
                                                           "shots": 10}
    )  # fmt: skip
    assert got == 201, job


async def test_a_simulator_fallback_answers_ideal_counts_and_says_so_if_disclosed(
    http, start_cloud
):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    ghz = circuit("ghz-5")
    body = {"circuit": ghz.qasm, "shots": 2000}

    async def run() -> dict[str, Any]:
        _, job, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
        await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=30)
        _, result, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{job['id']}/result", token)
        assert isinstance(result, dict)
        return result

    device = await run()
    assert device["executed_on"] == cloud.calibration.current.device
    assert set(device["counts"]) - set(ghz.ideal)  # noise: bitstrings GHZ never gives
    cloud.control.set(SimulatorFallback(disclosed=True))
    simulated = await run()
    assert simulated["executed_on"] == "aer_simulator"
    assert set(simulated["counts"]) <= set(ghz.ideal)  # no noise at all
    cloud.control.set(SimulatorFallback(disclosed=False))
    silent = await run()
    assert silent["executed_on"] == device["executed_on"]  # it claims the device ...
    assert set(silent["counts"]) <= set(ghz.ideal)  # ... and its counts say otherwise
    cloud.control.clear(SimulatorFallback)
    assert set((await run())["counts"]) - set(ghz.ideal)
