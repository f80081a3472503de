"""The reference orchestrator fails over between two real fake clouds behind real proxies.

Each cloud is reached through the embedded Toxiproxy-compatible proxy, as in a game
day; faults are toxics on those proxies. Every job's idempotency key must execute
exactly once across both clouds, whatever the network did.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp

from fake_backends.cloud import FakeCloud
from harness.load.circuits import circuit
from harness.netchaos import NetChaosServer, ToxiproxyClient
from harness.scoring.identity import job_of_key
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig
from reference_orchestrator.alerts import UNREACHABLE
from tests.conftest import Events

BELL = circuit("bell")


@dataclass
class Rig:
    http: aiohttp.ClientSession
    orch: Orchestrator
    tp: ToxiproxyClient
    clouds: dict[str, tuple[FakeCloud, Events]]

    async def submit(self, key: str) -> str:
        body = {"circuit": BELL.qasm, "shots": 128, "idempotency_key": key}
        async with self.http.post(self.orch.url + "/jobs", json=body) as resp:
            assert resp.status in (200, 202)
            return str((await resp.json())["id"])

    async def job(self, job_id: str) -> dict[str, Any]:
        async with self.http.get(f"{self.orch.url}/jobs/{job_id}") as resp:
            return dict(await resp.json())

    async def until(self, job_id: str, *states: str) -> dict[str, Any]:
        """Poll the orchestrator's API until the job is in one of ``states`` (bounded)."""
        async with asyncio.timeout(30):
            while True:
                if (job := await self.job(job_id))["state"] in states:
                    return job
                await asyncio.sleep(0.02)

    async def breaker(self, backend: str, state: str) -> None:
        async with asyncio.timeout(30):
            while True:
                async with self.http.get(self.orch.url + "/stats") as resp:
                    if (await resp.json())["backends"][backend] == state:
                        return
                await asyncio.sleep(0.02)

    async def partition(self, backend: str, *streams: str) -> None:
        for stream in streams or ("upstream", "downstream"):
            await self.tp.add_toxic(backend, "timeout", {"timeout": 0}, stream=stream)

    async def heal(self, backend: str) -> None:
        for toxic in await self.tp.toxics(backend):
            await self.tp.remove_toxic(backend, toxic.name)

    def executions(self) -> dict[str, list[str]]:
        """Idempotency key -> backends that executed it."""
        out: dict[str, list[str]] = {}
        for name, (_, events) in self.clouds.items():
            for e in events.of("backend.execution"):
                out.setdefault(job_of_key(e["idempotency_key"]), []).append(name)
        return out


@asynccontextmanager
async def rig(start_cloud, *, per_job_primary: float = 2.0) -> AsyncIterator[Rig]:
    manila, manila_events = await start_cloud(name="manila", per_job=per_job_primary)
    lima, lima_events = await start_cloud(name="lima")
    async with (
        NetChaosServer().running() as server,
        ToxiproxyClient(server.url) as tp,
        aiohttp.ClientSession() as http,
    ):
        links = []
        for cloud in (manila, lima):  # manila first: the primary
            p = await tp.create_proxy(cloud.name, upstream=cloud.url.removeprefix("http://"))
            links.append(BackendLink(cloud.name, f"http://{p.listen}", f"key-{cloud.name}"))
        config = OrchestratorConfig(
            backends=tuple(links),
            poll_interval=2.0,
            retry_base=1.0,
            retry_max=5.0,
            min_request_timeout=0.3,
            min_probe_timeout=0.1,
            probe_interval=2.0,
            breaker_cooldown=10.0,
            alert=AlertRule(evaluate_every=1.0),
        )
        async with Orchestrator(config, clock=manila.clock).running() as orch:
            clouds = {"manila": (manila, manila_events), "lima": (lima, lima_events)}
            yield Rig(http, orch, tp, clouds)


async def test_partitioned_primary_fails_over_and_strands_nothing(start_cloud):
    # a long job on the primary is still running when the link breaks
    async with rig(start_cloud, per_job_primary=300.0) as r:
        stranded = await r.submit("stranded")
        assert (await r.until(stranded, "submitted"))["backend"] == "manila"
        await r.partition("manila")
        await r.breaker("manila", "open")
        moved = [await r.submit(f"during-{i}") for i in range(3)]
        for job_id in moved:
            job = await r.until(job_id, "completed", "failed")
            assert (job["state"], job["backend"]) == ("completed", "lima")
        assert (await r.job(stranded))["state"] == "submitted"  # waits: not lost, not moved
        assert r.orch.alerts is not None
        paged = [a for a in r.orch.alerts.sent if a["alertname"] == UNREACHABLE]
        assert [(a["status"], a["labels"]["backend"]) for a in paged] == [("firing", "manila")]
        await r.heal("manila")
        job = await r.until(stranded, "completed", "failed")
        assert (job["state"], job["backend"]) == ("completed", "manila")
        await r.breaker("manila", "closed")  # the heartbeat probe closed it again
        back = await r.until(await r.submit("after"), "completed", "failed")
        assert back["backend"] == "manila"  # fails back to the primary
        paged = [a for a in r.orch.alerts.sent if a["alertname"] == UNREACHABLE]
        assert [a["status"] for a in paged] == ["firing", "resolved"]
    runs = r.executions()
    assert runs == {
        "stranded": ["manila"],
        "during-0": ["lima"],
        "during-1": ["lima"],
        "during-2": ["lima"],
        "after": ["manila"],
    }


async def test_lost_answer_pins_the_job_to_its_backend(start_cloud):
    """The submit reaches the primary but its answer is dropped: resubmitting the job to
    the standby would run it twice, so it waits for the primary and is replayed there."""
    async with rig(start_cloud) as r:
        await r.until(await r.submit("warm"), "completed")
        await r.partition("manila", "downstream")  # requests arrive, answers do not
        pinned = await r.submit("pinned")
        await r.breaker("manila", "open")
        job = await r.job(pinned)
        assert job["state"] == "queued"
        assert "manila" in (job["error"] or "")
        async with asyncio.timeout(30):  # it did arrive and run on manila ...
            while True:
                if "pinned" in r.executions():
                    break
                await asyncio.sleep(0.02)
        await r.heal("manila")
        job = await r.until(pinned, "completed", "failed")
        assert (job["state"], job["backend"]) == ("completed", "manila")
    assert r.executions()["pinned"] == ["manila"]  # ... and ran exactly once


async def test_refused_link_moves_jobs_at_once(start_cloud):
    async with rig(start_cloud) as r:
        await r.tp.update_proxy("manila", enabled=False)  # connection refused
        job = await r.until(await r.submit("refused"), "completed", "failed")
        assert (job["state"], job["backend"]) == ("completed", "lima")
        await r.tp.update_proxy("manila", enabled=True)
    assert r.executions() == {"refused": ["lima"]}
