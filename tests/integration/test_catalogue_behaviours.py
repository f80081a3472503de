"""What the catalogue's scenarios demand, on real parts, one behaviour at a time: the
webhook refusing alerts, the reference orchestrator's /metrics and scrape watchdog, the
scoring of what was delivered, credentials looked for in a real orchestrator's log,
alerts and requests, and the deadline for jobs stuck at a backend. Whole game days are
in the catalogue (scenarios/telemetry-*, secrets-*, ibm-*)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from fake_backends import switches
from fake_backends.cloud import FakeCloud
from harness.errors import FaultError
from harness.faults.base import FaultContext
from harness.faults.telemetry import WebhookErrors
from harness.journal.store import Journal
from harness.scoring.telemetry import telemetry
from harness.scoring.views import AlertView
from harness.sut.leaks import SecretWatch
from harness.sut.webhook import AlertReceiver
from harness.sut.wiring import with_token
from plumbing.clock import ScaledClock
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig
from reference_orchestrator.config import Behaviour
from tests.integration.test_reference_orchestrator import finished, submit

FIRING = {"status": "firing", "alertname": "OrchestratorBackendErrors", "labels": {"a": "b"}}


async def test_a_failing_webhook_refuses_and_journals_what_it_did_not_take(http, tmp_path):
    journal = Journal(tmp_path / "journal.jsonl", ScaledClock(1.0))
    async with AlertReceiver(journal, secret="s3cret").running() as receiver:
        ctx = FaultContext(backends={}, webhook=receiver)
        await WebhookErrors(status=503).inject(ctx, [])
        async with http.post(receiver.base_url + "/alerts?token=s3cret", json=FIRING) as resp:
            assert resp.status == 503
            assert (await resp.json())["error"]["code"] == "webhook_unavailable"
        async with http.post(receiver.base_url + "/alerts", json=FIRING) as resp:
            assert resp.status == 401  # without the secret: rejected, never "refused"
        await WebhookErrors().revert(ctx, [])
        async with http.post(receiver.base_url + "/alerts?token=s3cret", json=FIRING) as resp:
            assert resp.status == 200
    journal.close()
    types = [r["type"] for r in journal.records if r["type"].startswith(("webhook.", "alert"))]
    assert types == ["webhook.refused", "webhook.rejected", "alert"]
    (refused,) = [r for r in journal.records if r["type"] == "webhook.refused"]
    assert (refused["status"], refused["what"]) == (503, ["firing:OrchestratorBackendErrors"])
    assert (receiver.refused, receiver.received) == (1, 1)


async def test_webhook_errors_needs_the_webhook():
    with pytest.raises(FaultError, match="webhook"):
        await WebhookErrors().inject(FaultContext(backends={}), [])


def test_a_refused_page_is_lost_unless_delivered_later():
    refused = [{"t": 100.0, "what": ["firing:A", "resolved:B", "firing:C"]}]
    later = [AlertView(160.0, "firing", "A"), AlertView(50.0, "firing", "C")]  # C: before
    t = telemetry(refused, [], later)
    assert (t.refused, t.lost) == (1, ("C",))


def test_the_longest_dark_stretch_runs_between_good_scrapes():
    oks = [True, True, False, False, False, True, False]
    scrapes = [{"t": 10.0 * (i + 1), "ok": ok} for i, ok in enumerate(oks)]
    t = telemetry([], scrapes, [])
    # good at 20 and 60: blind 40 s; good at 60, failed to the end at 70: 10 s
    assert (t.scrapes, t.scrape_failures, t.longest_dark) == (7, 4, 40.0)
    assert telemetry([], [{"t": 5.0, "ok": False}, {"t": 65.0, "ok": False}], []).longest_dark == 60


@asynccontextmanager
async def paging_orchestrator(
    cloud: FakeCloud, journal: Journal, behaviour: Behaviour
) -> AsyncIterator[tuple[Orchestrator, AlertReceiver]]:
    """The reference orchestrator on ``cloud``, evaluating its alert rule every second and
    paging a webhook that journals what it receives into ``journal``."""
    async with AlertReceiver(journal).running() as receiver:
        config = OrchestratorConfig(
            backends=(BackendLink("manila", cloud.url, "key-manila"),),
            alert=AlertRule(webhook_url=receiver.url, evaluate_every=1.0),
            behaviour=behaviour,
        )
        async with Orchestrator(config, clock=cloud.clock).running() as orch:
            yield orch, receiver


async def test_the_scrape_watchdog_pages_when_metrics_stop_being_scraped(
    http, start_cloud, tmp_path
):
    cloud, _ = await start_cloud(time_scale=50.0)
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    watched = Behaviour(scrape_watchdog=10.0)
    async with paging_orchestrator(cloud, journal, watched) as (orch, receiver):
        async with http.get(orch.url + "/metrics") as resp:
            assert resp.status == 200
            text = await resp.text()
        assert 'orchestrator_jobs{state="queued"} 0' in text
        assert 'orchestrator_backend_up{backend="manila"} 1' in text
        await receiver.wait_for(1)  # nobody scrapes any more: 10 s later, a page
        async with http.get(orch.url + "/metrics") as resp:
            assert resp.status == 200
        await receiver.wait_for(2)  # scraped again: resolved
    journal.close()
    alerts = [(r["status"], r["name"]) for r in journal.records if r["type"] == "alert"]
    assert alerts == [
        ("firing", "OrchestratorNotScraped"),
        ("resolved", "OrchestratorNotScraped"),
    ]


async def test_without_a_watchdog_nothing_pages_however_long_nobody_scrapes(
    http, start_cloud, tmp_path
):
    cloud, _ = await start_cloud(time_scale=50.0)
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    async with paging_orchestrator(cloud, journal, Behaviour()) as (orch, _):
        async with http.get(orch.url + "/metrics") as resp:
            assert resp.status == 200
        await cloud.clock.sleep(30.0)  # three times what the watchdog above waited
        assert orch.last_scrape is not None
    journal.close()
    assert not [r for r in journal.records if r["type"] == "alert"]


@pytest.mark.parametrize("log_credentials", [False, True], ids=["careful", "logs-credentials"])
async def test_the_secret_watch_finds_a_logged_token_and_nothing_else(
    http, start_cloud, tmp_path, log_credentials
):
    """A real orchestrator, a real cloud: every token revoked mid-run. The careful
    orchestrator leaks nothing anywhere; the one logging rejected tokens is caught in
    its log, with the key and the token named and neither value journalled."""
    cloud, _ = await start_cloud(time_scale=50.0)
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    watch = SecretWatch(journal)
    (key,) = cloud.spec.keys()
    watch.add("api_key:manila", key, owner="manila")
    cloud.observers.append(watch.backend_observer("manila"))
    async with AlertReceiver(journal, secret="hook-secret-0123456789").running() as receiver:
        watch.add("webhook_secret", "hook-secret-0123456789")
        receiver.on_body = watch.webhook_body
        config = OrchestratorConfig(
            backends=(BackendLink("manila", cloud.url, key),),
            poll_interval=2.0,
            alert=AlertRule(webhook_url=with_token(receiver.url, "hook-secret-0123456789")),
            behaviour=Behaviour(log_credentials=log_credentials),
        )
        with watch.watching_logger():
            async with Orchestrator(config, clock=cloud.clock).running() as orch:
                assert (await finished(http, orch.url, await submit(http, orch.url, "a")))[
                    "state"
                ] == "completed"
                cloud.control.revoke_tokens()  # the next call is refused: a new token
                job = await finished(http, orch.url, await submit(http, orch.url, "b"))
                assert job["state"] == "completed"
    watch.finish()
    journal.close()
    found = sorted((r["where"], r["secret"]) for r in journal.records if r["type"] == "secret.leak")
    (scan,) = [r for r in journal.records if r["type"] == "secret.scan"]
    assert scan["checked"]["requests"] >= 4  # tokens twice, two submits, polls
    if log_credentials:
        assert found == [("log", "api_key:manila"), ("log", "token:manila")]
    else:
        assert found == []
    assert key not in (tmp_path / "journal.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("stuck_after", [0.0, 20.0], ids=["patient", "deadline"])
async def test_a_job_stuck_queued_is_paged_cancelled_and_run_on_the_standby(
    http, start_cloud, tmp_path, stuck_after
):
    """queue.stuck_queued's setting on the primary: with a deadline, the orchestrator
    pages, cancels the stuck job there and runs it on the standby, once; without one it
    polls the stuck job for ever and nothing pages."""
    primary, _ = await start_cloud(time_scale=50.0)
    standby, _ = await start_cloud(time_scale=50.0, name="lima")
    primary.control.set(switches.StuckQueued(1.0))
    journal = Journal(tmp_path / "journal.jsonl", primary.clock)
    async with AlertReceiver(journal).running() as receiver:
        config = OrchestratorConfig(
            backends=(
                BackendLink("manila", primary.url, next(iter(primary.spec.keys()))),
                BackendLink("lima", standby.url, next(iter(standby.spec.keys()))),
            ),
            poll_interval=2.0,
            alert=AlertRule(webhook_url=receiver.url, evaluate_every=1.0),
            behaviour=Behaviour(stuck_after=stuck_after),
        )
        async with Orchestrator(config, clock=primary.clock).running() as orch:
            job_id = await submit(http, orch.url, "stuck")
            if stuck_after:
                job = await finished(http, orch.url, job_id)
                assert (job["state"], job["backend"], job["resubmits"]) == ("completed", "lima", 1)
                await receiver.wait_for(1)
            else:
                await primary.clock.sleep(60.0)  # three deadlines of the other case
                async with http.get(f"{orch.url}/jobs/{job_id}") as resp:
                    job = await resp.json()
                assert (job["state"], job["backend"]) == ("submitted", "manila")
    journal.close()
    alerts = [(r["status"], r["name"]) for r in journal.records if r["type"] == "alert"]
    states = [str(j.status) for j in primary.jobs.values()]
    cancelled = [s for s in states if "CANCELLED" in s]
    if stuck_after:
        assert alerts[0] == ("firing", "OrchestratorJobsStuck")
        assert len(cancelled) == 1  # the stuck copy, never run
    else:
        assert alerts == []
        assert cancelled == []


async def test_the_secret_watch_sees_bodies_the_ibm_routes_stream_and_the_iam_form(
    http, start_cloud, tmp_path
):
    """IBM routes read their bodies from the stream (past the native 1 MiB limit): the
    observer must neither consume them first (the route would get nothing) nor miss them."""
    cloud, _ = await start_cloud()
    journal = Journal(tmp_path / "journal.jsonl", cloud.clock)
    watch = SecretWatch(journal)
    (key,) = cloud.spec.keys()
    watch.add("api_key:manila", key, owner="manila")
    watch.add("webhook_secret", "hook-secret-0123456789")
    cloud.observers.append(watch.backend_observer("manila"))
    form = {"grant_type": "urn:ibm:params:oauth:grant-type:apikey", "apikey": key}
    async with http.post(f"{cloud.url}/ibm/iam/identity/token", data=form) as resp:
        assert resp.status == 200  # its own key in the IAM form: expected there
        token = (await resp.json())["access_token"]
    body = {"program_id": "sampler", "backend": "x", "tags": ["hook-secret-0123456789"]}
    headers = {"Authorization": f"Bearer {token}", "Service-CRN": "crn:x"}
    url = f"{cloud.url}/ibm/experimental/api/v1/jobs"
    async with http.post(url, json=body, headers=headers) as resp:
        assert resp.status < 500, await resp.text()
        assert (await resp.json()) != {}  # the route read its body: an answer about it
    journal.close()
    found = [(r["where"], r["secret"]) for r in journal.records if r["type"] == "secret.leak"]
    assert found == [("request to manila: body", "webhook_secret")]
