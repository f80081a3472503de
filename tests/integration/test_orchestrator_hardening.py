"""The reference orchestrator under hostile input (issue 16, items 1, 2 and 14)."""

from __future__ import annotations

from typing import Any

import aiohttp

from fake_backends.switches import ApiErrors
from harness.load.circuits import circuit
from tests.integration.test_reference_orchestrator import finished, orchestrator

BELL = circuit("bell")
GHZ3 = circuit("ghz-3")
BELL_BODY = {"circuit": BELL.qasm, "shots": 64}


async def post_job(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> str:
    async with http.post(url + "/jobs", json=body) as resp:
        assert resp.status in (200, 202), await resp.text()
        return str((await resp.json())["id"])


async def test_tenants_sharing_a_key_get_their_own_jobs(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        a = await post_job(
            http,
            orch.url,
            {"circuit": BELL.qasm, "shots": 64, "idempotency_key": "k", "tenant": "a"},
        )
        b = await post_job(
            http,
            orch.url,
            {"circuit": GHZ3.qasm, "shots": 64, "idempotency_key": "k", "tenant": "b"},
        )
        job_a, job_b = await finished(http, orch.url, a), await finished(http, orch.url, b)
    assert a != b
    assert job_a["backend_job_id"] != job_b["backend_job_id"]
    assert {len(k) for k in job_a["counts"]} == {2}
    assert {len(k) for k in job_b["counts"]} == {3}  # tenant b's own circuit, not a's Bell


async def test_a_client_key_equal_to_a_generated_id_is_a_new_job(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        first = await post_job(http, orch.url, {"circuit": BELL.qasm, "shots": 64})
        second = await post_job(
            http, orch.url, {"circuit": GHZ3.qasm, "shots": 64, "idempotency_key": first}
        )
        job = await finished(http, orch.url, second)
    assert second != first
    assert {len(k) for k in job["counts"]} == {3}


async def test_generated_keys_are_unique_across_restarts(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        before = await finished(
            http, orch.url, await post_job(http, orch.url, {"circuit": BELL.qasm, "shots": 64})
        )
    async with orchestrator(cloud) as orch:  # a restart: a new instance, same backend
        after = await finished(
            http, orch.url, await post_job(http, orch.url, {"circuit": GHZ3.qasm, "shots": 64})
        )
    assert after["id"] != before["id"]
    assert after["backend_job_id"] != before["backend_job_id"]
    assert {len(k) for k in after["counts"]} == {3}  # not the earlier run's Bell result


async def test_a_poison_request_does_not_stop_dispatch(http, start_cloud):
    # regression: a lone surrogate reached the backend, got a 500, and went back to the
    # head of the queue forever; nothing after it was ever submitted
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        async with http.post(
            orch.url + "/jobs",
            data=b'{"circuit": "\\ud800", "shots": 1}',
            headers={"Content-Type": "application/json"},
        ) as resp:
            assert resp.status == 400
        job = await finished(http, orch.url, await post_job(http, orch.url, BELL_BODY))
    assert job["state"] == "completed"


async def test_a_job_that_keeps_getting_server_errors_fails_and_the_queue_moves(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud, max_job_errors=3) as orch:
        cloud.control.set(ApiErrors(rate=1.0, statuses=(500,), endpoints=("submit",)))
        poison = await finished(http, orch.url, await post_job(http, orch.url, BELL_BODY))
        cloud.control.clear(ApiErrors)
        after = await finished(http, orch.url, await post_job(http, orch.url, BELL_BODY))
    assert poison["state"] == "failed"
    assert "3 server errors" in poison["error"]
    assert after["state"] == "completed"


async def test_the_admin_api_needs_its_credential(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud, admin_token="s3cret") as orch:
        url = orch.url + "/admin/refresh-token"
        async with http.post(url) as resp:
            assert resp.status == 401
            assert (await resp.json())["error"]["code"] == "admin_credential_required"
        async with http.post(url, headers={"Authorization": "Bearer wrong"}) as resp:
            assert resp.status == 401
        async with http.post(url, headers={"Authorization": "Bearer s3cret"}) as resp:
            assert resp.status == 200


async def test_without_a_configured_credential_the_admin_api_is_closed(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        async with http.post(orch.url + "/admin/refresh-token") as resp:
            assert resp.status == 401
        headers = {"Authorization": f"Bearer {orch.admin_token}"}  # drawn at start
        async with http.post(orch.url + "/admin/refresh-token", headers=headers) as resp:
            assert resp.status == 200
