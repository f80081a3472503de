"""The webhook's /events endpoint, and the reference orchestrator reporting mitigations
and serving its admin token refresh, against a real fake cloud."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fake_backends.cloud import FakeCloud
from harness.journal.store import Journal
from harness.sut.webhook import AlertReceiver
from plumbing.clock import ScaledClock
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig
from tests.integration.test_reference_orchestrator import finished, submit


@asynccontextmanager
async def orchestrator(cloud: FakeCloud, receiver: AlertReceiver) -> AsyncIterator[Orchestrator]:
    config = OrchestratorConfig(
        backends=(BackendLink("manila", cloud.url, "key-manila"),),
        poll_interval=2.0,
        retry_base=1.0,
        retry_max=5.0,
        events_url=receiver.events_url,
        alert=AlertRule(webhook_url=receiver.url, window=30.0, min_events=2, evaluate_every=1.0),
    )
    async with Orchestrator(config, clock=cloud.clock).running() as orch:
        yield orch


async def test_events_endpoint_journals_sut_events_and_rejects_junk(http, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl", ScaledClock(1.0))
    async with AlertReceiver(journal).running() as receiver:
        body = {"kind": "mitigation", "name": "failover", "summary": "moved to ibm_b"}
        async with http.post(receiver.events_url, json=body) as resp:
            assert resp.status == 200
        for bad in ({"kind": "party", "name": "x"}, {"kind": "note"}, {"kind": "note", "name": ""}):
            async with http.post(receiver.events_url, json=bad) as resp:
                assert resp.status == 400
                assert (await resp.json())["error"]["code"] == "invalid_field"
    journal.close()
    events = [r for r in journal.records if r["type"] == "sut.event"]
    assert [(e["kind"], e["name"], e["summary"]) for e in events] == [
        ("mitigation", "failover", "moved to ibm_b")
    ]
    assert receiver.events == 1


async def test_orchestrator_reports_a_mitigation_once_its_token_works_again(
    http, start_cloud, tmp_path
):
    cloud, _ = await start_cloud(time_scale=50.0)
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    async with AlertReceiver(journal).running() as receiver, orchestrator(cloud, receiver) as orch:
        await finished(http, orch.url, await submit(http, orch.url, "warm"))
        assert not [r for r in journal.records if r["type"] == "sut.event"]  # no rejection yet
        cloud.control.fail_token_endpoint(503)
        cloud.control.revoke_tokens()
        admin = {"Authorization": f"Bearer {orch.admin_token}"}
        async with http.post(orch.url + "/admin/refresh-token", headers=admin) as resp:
            assert resp.status == 503  # the token service is down: the admin action says so
            assert "failed" in (await resp.json())["backends"]["manila"]
        cloud.control.restore_token_endpoint()
        async with http.post(orch.url + "/admin/refresh-token", headers=admin) as resp:
            assert resp.status == 200
            assert (await resp.json()) == {"backends": {"manila": "refreshed"}}
        # reported through the orchestrator's outbox: it arrives right after the answer
        async with asyncio.timeout(10):
            await receiver.wait_for_events(1)
        assert [r["type"] for r in journal.records].count("sut.event") == 1
        job = await finished(http, orch.url, await submit(http, orch.url, "after"))
    assert job["state"] == "completed"
    (event,) = [r for r in journal.records if r["type"] == "sut.event"]
    assert (event["kind"], event["name"]) == ("mitigation", "token-refreshed:manila")
    assert event["source"] == "reference-orchestrator"
