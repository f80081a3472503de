"""The native API of a fake cloud, over real HTTP, with real Aer execution."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from harness.load.circuits import circuit
from harness.scoring import hellinger_fidelity

GHZ5 = circuit("ghz-5")


async def call(
    http: aiohttp.ClientSession, method: str, url: str, token: str | None = None, **kw: Any
) -> tuple[int, Any, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with http.request(method, url, headers=headers, **kw) as resp:
        return resp.status, await resp.json(), resp.headers


async def token_for(http: aiohttp.ClientSession, url: str, key: str = "key-manila") -> str:
    status, body, _ = await call(http, "POST", url + "/v1/auth/token", json={"api_key": key})
    assert status == 200, body
    return str(body["access_token"])


async def test_token_then_backends_and_calibration(http, start_cloud):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    status, body, _ = await call(http, "GET", cloud.url + "/v1/backends", token)
    assert status == 200
    assert body["backends"][0]["num_qubits"] == 5
    status, props, _ = await call(http, "GET", cloud.url + "/v1/backends/manila/properties", token)
    assert status == 200
    assert len(props["qubits"]) == 5
    assert all(q["t1_us"] > 0 and 0 < q["readout_error"] < 1 for q in props["qubits"])
    assert any(g["gate"] == "cx" and g["error"] > 0 for g in props["gates"])
    assert props["last_update"].startswith("20")


async def test_revoked_token_gets_401_and_a_fresh_one_works(http, start_cloud):
    cloud, events = await start_cloud()
    old = await token_for(http, cloud.url)
    assert cloud.control.revoke_tokens() == 1
    status, body, headers = await call(http, "GET", cloud.url + "/v1/backends", old)
    assert status == 401
    assert body["error"]["code"] == "token_revoked"
    assert headers["WWW-Authenticate"].startswith("Bearer")
    fresh = await token_for(http, cloud.url)
    status, _, _ = await call(http, "GET", cloud.url + "/v1/backends", fresh)
    assert status == 200
    assert events.of("backend.auth_rejected") == [{"backend": "manila", "reason": "token_revoked"}]


async def test_token_endpoint_fault_and_restore(http, start_cloud):
    cloud, _ = await start_cloud()
    cloud.control.fail_token_endpoint(503)
    status, body, _ = await call(http, "POST", cloud.url + "/v1/auth/token", json={"api_key": "x"})
    assert (status, body["error"]["code"]) == (503, "auth_unavailable")
    cloud.control.restore_token_endpoint()
    assert await token_for(http, cloud.url)


async def test_missing_and_bad_credentials(http, start_cloud):
    cloud, _ = await start_cloud()
    status, body, _ = await call(http, "GET", cloud.url + "/v1/backends")
    assert (status, body["error"]["code"]) == (401, "missing_token")
    status, body, _ = await call(http, "GET", cloud.url + "/v1/backends", "tok_nope")
    assert (status, body["error"]["code"]) == (401, "invalid_token")
    status, body, _ = await call(http, "POST", cloud.url + "/v1/auth/token", json={"api_key": "no"})
    assert (status, body["error"]["code"]) == (401, "invalid_api_key")


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ("{not json", 400, "invalid_json"),
        ("[1, 2]", 400, "invalid_body"),
        ({"shots": 10}, 400, "missing_field"),
        ({"circuit": GHZ5.qasm, "shots": "ten"}, 400, "invalid_field"),
        ({"circuit": GHZ5.qasm, "shots": 0}, 400, "invalid_field"),
        ({"circuit": GHZ5.qasm, "shots": 10, "format": "quil"}, 400, "invalid_field"),
        ({"circuit": "OPENQASM 3.0; qubit[1] q; nope q[0];", "shots": 10}, 400, "invalid_circuit"),
        ({"circuit": circuit("ghz-6").qasm, "shots": 10}, 400, "invalid_circuit"),
        ({"circuit": "bm90IHFweQ==", "format": "qpy", "shots": 10}, 400, "invalid_circuit"),
        ({"circuit": GHZ5.qasm, "shots": 10, "backend": "other"}, 404, "backend_not_found"),
        ({"circuit": "x" * 300_000, "shots": 10}, 413, "circuit_too_large"),
    ],
)
async def test_malformed_submissions_get_json_4xx(http, start_cloud, payload, status, code):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    kw: dict[str, Any] = (
        {"data": payload, "headers": {"Content-Type": "application/json"}}
        if isinstance(payload, str)
        else {"json": payload}
    )
    headers = {**kw.pop("headers", {}), "Authorization": f"Bearer {token}"}
    async with http.post(cloud.url + "/v1/jobs", headers=headers, **kw) as resp:
        body = await resp.json()
        assert resp.status == status, body
    assert body["error"]["code"] == code
    assert body["error"]["status"] == status


async def test_unknown_routes_and_methods_are_json_errors(http, start_cloud):
    cloud, _ = await start_cloud()
    token = await token_for(http, cloud.url)
    status, body, _ = await call(http, "GET", cloud.url + "/v1/nothing", token)
    assert (status, body["error"]["status"]) == (404, 404)
    status, body, headers = await call(http, "PUT", cloud.url + "/v1/jobs", token)
    assert status == 405
    assert "POST" in headers["Allow"]
    status, body, _ = await call(http, "GET", cloud.url + "/v1/jobs/nope", token)
    assert (status, body["error"]["code"]) == (404, "job_not_found")


async def test_a_job_really_runs_on_noisy_aer(http, start_cloud):
    cloud, events = await start_cloud()
    token = await token_for(http, cloud.url)
    status, job, _ = await call(
        http, "POST", cloud.url + "/v1/jobs", token, json={"circuit": GHZ5.qasm, "shots": 2048}
    )
    assert status == 201
    assert job["status"] in ("QUEUED", "RUNNING")
    await asyncio.wait_for(cloud.jobs[job["id"]].done.wait(), timeout=30)
    status, result, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{job['id']}/result", token)
    assert status == 200
    counts = result["counts"]
    assert sum(counts.values()) == 2048
    fidelity = hellinger_fidelity(counts, GHZ5.ideal)
    # real device noise: clearly GHZ, clearly not ideal
    assert 0.6 < fidelity < 0.97, fidelity
    (execution,) = events.of("backend.execution")
    assert execution["status"] == "DONE"
    assert execution["qpu_s"] == pytest.approx(2.0)


async def test_idempotency_key_returns_the_same_job_and_runs_it_once(http, start_cloud):
    cloud, events = await start_cloud()
    token = await token_for(http, cloud.url)
    body = {"circuit": GHZ5.qasm, "shots": 100, "idempotency_key": "logical-1"}
    s1, first, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    s2, second, headers = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    assert (s1, s2) == (201, 200)
    assert first["id"] == second["id"]
    assert headers["Idempotent-Replayed"] == "true"
    await asyncio.wait_for(cloud.jobs[first["id"]].done.wait(), timeout=30)
    assert [e["idempotency_key"] for e in events.of("backend.execution")] == ["logical-1"]


async def test_queue_full_cancel_and_result_before_done(http, start_cloud):
    cloud, _ = await start_cloud(slots=1, max_depth=1, per_job=10_000.0)
    token = await token_for(http, cloud.url)
    body = {"circuit": GHZ5.qasm, "shots": 10}
    _, running, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    _, queued, _ = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    status, err, headers = await call(http, "POST", cloud.url + "/v1/jobs", token, json=body)
    assert (status, err["error"]["code"]) == (429, "queue_full")
    # scenario seconds, like expires_in: one running job of 10,000 s ahead of it
    assert int(headers["Retry-After"]) >= 10_000
    status, status_body, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{queued['id']}", token)
    assert status_body["queue_position"] == 1
    status, err, _ = await call(http, "GET", f"{cloud.url}/v1/jobs/{queued['id']}/result", token)
    assert (status, err["error"]["code"]) == (409, "job_not_finished")
    status, cancelled, _ = await call(http, "DELETE", f"{cloud.url}/v1/jobs/{queued['id']}", token)
    assert (status, cancelled["status"]) == (200, "CANCELLED")
    status, err, _ = await call(http, "DELETE", f"{cloud.url}/v1/jobs/{running['id']}", token)
    assert (status, err["error"]["code"]) == (409, "job_not_cancellable")
