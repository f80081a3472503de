"""The reference orchestrator against a real fake cloud, and its alerts to the webhook."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp

from fake_backends.cloud import FakeCloud
from fake_backends.switches import SchemaChange
from harness.journal.store import Journal
from harness.load.circuits import circuit
from harness.sut.webhook import AlertReceiver
from plumbing.clock import ScaledClock
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig

BELL = circuit("bell")


@asynccontextmanager
async def orchestrator(
    cloud: FakeCloud, *, refresh: bool = True, webhook: str | None = None, **extra: Any
) -> AsyncIterator[Orchestrator]:
    config = OrchestratorConfig(
        backends=(BackendLink("manila", cloud.url, "key-manila"),),
        token_refresh=refresh,
        poll_interval=2.0,
        retry_base=1.0,
        retry_max=5.0,
        alert=AlertRule(webhook_url=webhook, window=30.0, min_events=2, evaluate_every=1.0),
        **extra,
    )
    async with Orchestrator(config, clock=cloud.clock).running() as orch:
        yield orch


async def submit(http: aiohttp.ClientSession, url: str, key: str) -> str:
    body = {"circuit": BELL.qasm, "shots": 256, "idempotency_key": key}
    async with http.post(url + "/jobs", json=body) as resp:
        assert resp.status in (200, 202)
        return str((await resp.json())["id"])


async def until(
    http: aiohttp.ClientSession, url: str, job_id: str, done: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """Poll the orchestrator's API for the job until ``done(job)`` holds (bounded)."""
    async with asyncio.timeout(30):
        while True:
            async with http.get(f"{url}/jobs/{job_id}") as resp:
                job = dict(await resp.json())
            if done(job):
                return job
            await asyncio.sleep(0.01)


async def finished(http: aiohttp.ClientSession, url: str, job_id: str) -> dict[str, Any]:
    """Poll the orchestrator's API until the job is final (bounded)."""
    return await until(http, url, job_id, lambda job: job["state"] in ("completed", "failed"))


async def test_job_goes_through_and_keys_are_idempotent(http, start_cloud):
    cloud, events = await start_cloud()
    async with orchestrator(cloud) as orch:
        job_id = await submit(http, orch.url, "k-1")
        assert await submit(http, orch.url, "k-1") == job_id
        job = await finished(http, orch.url, job_id)
    assert job["state"] == "completed"
    assert sum(job["counts"].values()) == 256
    assert [e["idempotency_key"] for e in events.of("backend.execution")] == ["default/k-1"]


async def test_refreshes_its_token_after_revocation(http, start_cloud):
    cloud, events = await start_cloud()
    async with orchestrator(cloud) as orch:
        first = await finished(http, orch.url, await submit(http, orch.url, "a"))
        cloud.control.revoke_tokens()
        second = await finished(http, orch.url, await submit(http, orch.url, "b"))
    assert (first["state"], second["state"]) == ("completed", "completed")
    assert events.of("backend.auth_rejected")  # the 401 really happened


async def test_no_refresh_variant_fails_jobs_after_revocation(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud, refresh=False) as orch:
        first = await finished(http, orch.url, await submit(http, orch.url, "a"))
        cloud.control.revoke_tokens()
        second = await finished(http, orch.url, await submit(http, orch.url, "b"))
    assert first["state"] == "completed"
    assert second["state"] == "failed"
    assert "token" in second["error"]


async def test_alerts_reach_the_webhook_when_backend_calls_fail(http, start_cloud, tmp_path):
    cloud, _ = await start_cloud(time_scale=50.0)
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    async with AlertReceiver(journal).running() as receiver:
        async with orchestrator(cloud, webhook=receiver.url) as orch:
            await finished(http, orch.url, await submit(http, orch.url, "warm"))
            cloud.control.fail_token_endpoint(503)
            cloud.control.revoke_tokens()
            for i in range(3):
                await submit(http, orch.url, f"stuck-{i}")
            async with asyncio.timeout(30):
                await receiver.wait_for(1)
            cloud.control.restore_token_endpoint()
            async with asyncio.timeout(30):
                await receiver.wait_for(2)
    alerts = [r for r in journal.records if r["type"] == "alert"]
    assert [a["status"] for a in alerts] == ["firing", "resolved"]
    assert alerts[0]["name"] == "OrchestratorBackendErrors"


async def test_orchestrator_rejects_malformed_requests(http, start_cloud):
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        async with http.post(orch.url + "/jobs", json={"circuit": "", "shots": 5}) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["code"] == "invalid_field"
        async with http.post(orch.url + "/jobs", data=b"\xff\xfe") as resp:
            assert resp.status in (400, 415)
        async with http.get(orch.url + "/jobs/nope") as resp:
            assert resp.status == 404


async def test_webhook_accepts_alertmanager_form_and_rejects_junk(http, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl", ScaledClock(1.0))
    async with AlertReceiver(journal).running() as receiver:
        labels = {"alertname": "QueueStuck", "backend": "manila", "n": 3}
        am = {"alerts": [{"status": "firing", "labels": labels}]}
        async with http.post(receiver.url, json=am) as resp:
            assert resp.status == 200
        async with http.post(receiver.url, json={"status": "weird"}) as resp:
            assert resp.status == 400
        async with http.post(
            receiver.url, data="nope", headers={"Content-Type": "application/json"}
        ) as resp:
            assert resp.status == 400
    journal.close()
    assert [(r["name"], r["status"]) for r in journal.records] == [("QueueStuck", "firing")]
    assert journal.records[0]["labels"] == {"backend": "manila", "n": "3"}  # its identity


async def test_a_renamed_status_field_does_not_crash_the_orchestrator(http, start_cloud):
    # regression: api.schema_change on `status` used to raise KeyError in the poller,
    # which took the whole run down (exit 4) instead of being an unusable answer
    cloud, _ = await start_cloud()
    async with orchestrator(cloud) as orch:
        cloud.control.set(SchemaChange("status", "state"))
        job_id = await submit(http, orch.url, "renamed")
        job = await until(http, orch.url, job_id, lambda j: j["backend_job_id"] is not None)
        await asyncio.wait_for(cloud.jobs[job["backend_job_id"]].done.wait(), 30)  # it ran
        # ... and a poll got the renamed answer, counted as a failed call
        job = await until(http, orch.url, job_id, lambda j: orch.monitor.ratio()[0] > 0)
        assert job["state"] == "submitted"  # it cannot tell yet, and nothing crashed
        cloud.control.clear(SchemaChange)
        job = await finished(http, orch.url, job_id)
    assert job["state"] == "completed"


async def test_a_revoked_key_pages_and_the_rotation_admin_call_recovers(
    http, start_cloud, tmp_path
):
    cloud, _ = await start_cloud(time_scale=50.0)
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    async with AlertReceiver(journal).running() as receiver:
        async with orchestrator(cloud, webhook=receiver.url, admin_token="adm") as orch:
            await finished(http, orch.url, await submit(http, orch.url, "warm"))
            cloud.control.revoke_api_key("key-manila", "key-manila-2")
            stuck = await submit(http, orch.url, "stuck")
            async with asyncio.timeout(30):
                await receiver.wait_for(1)
            rotate = {"backend": "manila", "api_key": "key-manila-2"}
            async with http.post(orch.url + "/admin/rotate-credential", json=rotate) as resp:
                assert resp.status == 401  # the admin credential is required
            admin = {"Authorization": "Bearer adm"}
            bad = {"backend": "nope", "api_key": "x"}
            async with http.post(
                orch.url + "/admin/rotate-credential", json=bad, headers=admin
            ) as resp:
                assert resp.status == 404
            async with http.post(
                orch.url + "/admin/rotate-credential", json=rotate, headers=admin
            ) as resp:
                assert (resp.status, await resp.json()) == (
                    200,
                    {"backend": "manila", "rotated": True},
                )
            job = await finished(http, orch.url, stuck)
    assert job["state"] == "completed"
    alerts = [(r["status"], r["name"]) for r in journal.records if r["type"] == "alert"]
    assert ("firing", "OrchestratorCredentialRejected") in alerts
    assert ("resolved", "OrchestratorCredentialRejected") in alerts


async def test_failed_jobs_are_resubmitted_under_attempt_keys_within_the_budget(http, start_cloud):
    from fake_backends.switches import JobFailures
    from reference_orchestrator import Behaviour

    cloud, events = await start_cloud()
    cloud.control.set(JobFailures(rate=1.0))
    behaviour = Behaviour(resubmit_attempts=2)
    async with orchestrator(cloud, behaviour=behaviour) as orch:
        job = await finished(http, orch.url, await submit(http, orch.url, "k"))
        assert orch.store.get(job["id"]) is not None
    assert (job["state"], job["resubmits"]) == ("failed", 2)
    keys = [e["idempotency_key"] for e in events.of("backend.execution")]
    assert keys == ["default/k", "default@1/k", "default@2/k"]
    # a budget of 0 resubmits per first submission leaves only the floor (1 a minute)
    cloud2, events2 = await start_cloud()
    cloud2.control.set(JobFailures(rate=1.0))
    budgeted = Behaviour(resubmit_attempts=5, retry_budget=0.0)
    async with orchestrator(cloud2, behaviour=budgeted) as orch:
        ids = [await submit(http, orch.url, f"b{i}") for i in range(2)]
        jobs = [await finished(http, orch.url, i) for i in ids]
        assert orch.sessions  # running
    assert sorted(j["resubmits"] for j in jobs) == [0, 1]
    assert len(events2.of("backend.execution")) == 3
