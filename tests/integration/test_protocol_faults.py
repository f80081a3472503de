"""Every fault kind, seen through each protocol's client: one meaning, three wires.

Each case injects a scenario fault kind (the harness's own fault classes) on a fake
cloud and checks what a client sees, through the backend's fault proxy, once per
protocol: the native API with a plain HTTP client, IBM's protocol with the real,
unmodified qiskit-ibm-runtime client and IonQ's with the real, unmodified qiskit-ionq
(:mod:`tests.integration.protocols`). Where the wires differ (IBM's client retries 5xx
and ``Retry-After`` itself; qiskit-ionq retries 429/502/503/504 at once, five times for
a submission and forever for a GET; each raises its own exceptions), the case says so
next to the shared assertion.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from fake_backends import switches
from fake_backends.calibration import Factors
from fake_backends.records import EXECUTION
from harness.faults.account import PendingJobsLimit, SessionExpiry, UsageLimit
from harness.faults.api import Errors, LostJobs, RateLimited, SchemaChanged, UnknownStatus
from harness.faults.auth import TokenExpiry
from harness.faults.backend import (
    ConfigChange,
    CorruptResults,
    JobFailures,
    Maintenance,
    Outage,
    PartialResults,
    Slowdown,
)
from harness.faults.calibration import BadQubit, Drift, Recalibration, StaleProperties
from harness.faults.network import Latency, Partition, Refuse, Reset
from harness.faults.queue import (
    Eviction,
    Rejection,
    RunningWithoutQpu,
    Saturation,
    Stall,
    StuckQueued,
)
from harness.scoring.ledger import ledger
from harness.scoring.views import JobView
from tests.integration import ibm_client, ionq_client
from tests.integration.conftest import Rig
from tests.integration.protocols import IbmObserver, IonqObserver, NativeObserver, Outcome

IBM = "ibm"
IONQ = "ionq"
Case = Callable[[Rig], Awaitable[None]]
CASES: dict[str, Case] = {}


def ibm(r: Rig) -> IbmObserver:
    """The rig's client, known to be the IBM one."""
    assert isinstance(r.observer, IbmObserver)
    return r.observer


def ionq(r: Rig) -> IonqObserver:
    """The rig's client, known to be the IonQ one."""
    assert isinstance(r.observer, IonqObserver)
    return r.observer


async def blocked_until_reverted(r: Rig, fault: Any) -> Outcome:
    """A backend status call made while ``fault`` lasts: still waiting after a second,
    answered once the fault is reverted (what it saw then)."""
    waiting = asyncio.ensure_future(r.observer.backend_status())
    done_early, _ = await asyncio.wait({waiting}, timeout=1.0)
    assert not done_early  # still retrying (or waiting) after a second
    await r.revert(fault)
    return await waiting


def case(kind: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[kind] = fn
        return fn

    return register


async def done(r: Rig, job: str) -> list[dict[str, Any]]:
    """Wait for a job to complete and return its result pubs (asserting both worked)."""
    waited = await r.observer.wait(job)
    assert waited.ok, waited
    assert waited.value["status"] == "DONE", waited
    out = await r.observer.result(job)
    assert out.ok, out
    return list(out.value)


# -- auth and API ------------------------------------------------------------------


@case("auth.token_expiry")
async def token_expiry(r: Rig) -> None:
    o, fault = r.observer, TokenExpiry(status=503)
    await r.inject(fault)
    stale = await o.backend_status()  # the client still holds the revoked token
    assert (stale.ok, stale.status) == (False, 401), stale
    # a new token is refused while the fault lasts (IBM: one exchange only; a second
    # one in the same client would wait 60 s, see test_ibm_protocol)
    fresh = await o.reauth(find_backend=False)
    if o.protocol == IBM:
        assert stale.code == "IBMNotAuthorizedError"
        # IAM refused: the client warns and falls back to its API key, which the API
        # refuses (the service logs that 401 as an "invalid instance")
        assert any("Unable to retrieve IBM Cloud access token" in w for w in fresh.warnings)
    elif o.protocol == IONQ:
        # no tokens: the key itself is refused on every call for the window; a new
        # provider asks nothing that needs the key, so it "works" and fails on first use
        assert (stale.code, fresh.ok) == ("IonQAPIError", True)
        assert "token_revoked" in stale.message
    else:
        assert (stale.code, fresh.status, fresh.code) == ("token_revoked", 503, "auth_unavailable")
    await r.revert(fault)
    still = await o.backend_status()
    if o.protocol == IBM:  # the client never re-authenticates by itself after a 401
        assert (still.ok, still.status) == (False, 401)
    if o.protocol == IONQ:  # the same key works again
        assert still.ok
    assert (await o.reauth()).ok
    assert (await o.backend_status()).ok
    assert r.events.of("backend.auth_rejected")


@case("api.rate_limit")
async def rate_limit(r: Rig) -> None:
    o = r.observer
    await r.inject(
        RateLimited(switches.RateLimit(rate=1.0, burst=1))
    )  # Retry-After: 1 (scenario = wall s)
    first, second = await o.backend_status(), await o.backend_status()
    assert first.ok
    refused = await o.submit()
    assert (refused.ok, refused.status) == (False, 429), refused
    if o.protocol == IBM:
        # a GET answered 429 + Retry-After is retried by urllib3 after that wait: the
        # call succeeds, late; a POST is not retried and fails
        assert second.ok
        assert second.seconds >= 0.9
        assert refused.code == "IBMRuntimeError"
    elif o.protocol == IONQ:
        # a GET answered 429 is retried (Retry-After ignored, up to 1 s of jitter) until
        # it passes: late; a POST is retried 5 times at once, all refused (#235)
        assert second.ok
        assert second.seconds >= 0.5
        assert any("Retrying get_calibration_data" in w for w in second.warnings), second
        assert refused.code == "IonQRetriableError"
        assert sum("Retrying submit_job" in w for w in refused.warnings) == 4
    else:
        assert (second.status, second.code) == (429, "rate_limited")
    assert r.events.of("backend.rate_limited")


@case("api.errors")
async def api_errors(r: Rig) -> None:
    o = r.observer
    fault = Errors(switches.ApiErrors(rate=0.5, statuses=(500, 502, 503)))
    await r.inject(fault)
    seen = [await o.backend_status() for _ in range(6)]
    injected = r.events.of("backend.api_error")
    assert injected, "the fault answered no request with a 5xx"
    if o.protocol == IBM:
        # the client retries 500/502/503 (5 retries, 0.5 s backoff doubling, ~15 s): a
        # call fails only if 6 tries in a row do (1/64 at rate 0.5). The requests so far
        # are the same in every run (seeded draws); the job's polling is not (how many
        # polls depends on timing), so the fault goes before the wait for the result
        assert all(s.ok for s in seen), seen
        submitted = await o.submit()
        assert submitted.ok, submitted
        await r.revert(fault)
        pubs = await done(r, submitted.value)
        assert sum(pubs[0]["counts"].values()) == 1000
    elif o.protocol == IONQ:
        # 502 and 503 are retried (with up to 1 s of jitter, until one passes); a 500
        # would not be (none is drawn for these requests: the draws are seeded)
        assert {s.status for s in seen if not s.ok} <= {500}, seen
        assert any("Retrying get_calibration_data" in w for s in seen for w in s.warnings)
        await r.revert(fault)
        submitted = await o.submit()
        await done(r, submitted.value)
    else:
        assert [s.status for s in seen if not s.ok]
        assert {s.status for s in seen if not s.ok} <= {500, 502, 503}


@case("api.errors.after")
async def lost_answers(r: Rig) -> None:
    """The job is created, its answer lost: IBM's client retries the POST, the native one
    replays its idempotency key. Only one of them runs the job once."""
    o = r.observer
    fault = Errors(switches.ApiErrors(1.0, statuses=(503,), endpoints=("submit",), after=True))
    await r.inject(fault)
    if o.protocol == IONQ:
        # the client retries the POST 5 times with no delay: every try creates a job,
        # every answer is lost, and the client gives up holding no job id
        lost = await o.submit(key="logical-1")
        assert (lost.ok, lost.code, lost.status) == (False, "IonQRetriableError", 503), lost
        await r.revert(fault)
    elif o.protocol == IBM:
        # every retry creates another job; let the client's retries win after two losses
        pending = asyncio.ensure_future(o.submit(key="logical-1"))
        await r.events.until("backend.api_error", 2, within=60)
        await r.revert(fault)
        submitted = await pending
        assert submitted.ok, submitted
        await done(r, submitted.value)
    else:
        lost = await o.submit(key="logical-1")
        assert (lost.ok, lost.status) == (False, 503)
        await r.revert(fault)
        replayed = await o.submit(key="logical-1")
        assert replayed.ok
        await done(r, replayed.value)
    created = [j for j in r.cloud.jobs.values() if j.idempotency_key == "logical-1"]
    for job in created:
        await job.done.wait()
    records = [{"type": t, **d} for t, d in r.events.records]
    # the one logical job, found by its key (IBM: the qgameday-key tag); every execution
    # ran the same circuit (one fingerprint)
    logical = JobView("logical-1", 0.0, 1000, None, None, accepted=True, outcome="ok")
    book = ledger(records, {logical.id: logical})
    runs = [x for x in records if x["type"] == EXECUTION.name]
    assert len({json.dumps(x.get("fingerprint"), sort_keys=True) for x in runs}) == 1
    lost_answers = len(r.events.of("backend.api_error"))
    if o.protocol == IBM:
        assert len(created) == lost_answers + 1 >= 3
        assert (book.duplicated, book.duplicate_executions) == (1, lost_answers)
    elif o.protocol == IONQ:
        assert len(created) == lost_answers == 5
        assert (book.duplicated, book.duplicate_executions) == (1, 4)
    else:
        assert len(created) == 1
        assert book.duplicated == 0


@case("api.schema_change")
async def schema_change(r: Rig) -> None:
    o = r.observer
    submitted = await o.submit()
    assert submitted.ok
    await r.inject(SchemaChanged(switches.SchemaChange("status", "status_v2")))
    renamed = await o.job_status(submitted.value)
    if o.protocol == IBM:
        # the job's "state" went missing: the client fails with a bare KeyError
        assert (renamed.ok, renamed.code) == (False, "KeyError"), renamed
    elif o.protocol == IONQ:  # "status" went missing: an unknown status, None
        assert (renamed.ok, renamed.code) == (False, "IonQJobError"), renamed
        assert "Unknown or unmappable job status None" in renamed.message
    else:
        assert renamed.ok
        assert renamed.value is None  # "status" is gone (it is "status_v2" now)
    await r.revert(SchemaChanged(switches.SchemaChange("status", "status_v2")))
    await done(r, submitted.value)


@case("api.lost_jobs")
async def lost_jobs(r: Rig) -> None:
    """A lost handle (qiskit-ionq #242): the job answers 404 for the window, runs anyway."""
    o = r.observer
    await r.inject(Stall())
    submitted = await o.submit()
    assert submitted.ok, submitted
    await r.inject(LostJobs(switches.LostJobs(1.0)))
    lost = await o.job_status(submitted.value)
    assert (lost.ok, lost.status) == (False, 404), lost
    if o.protocol == IBM:
        assert lost.code == "RequestsApiError", lost  # job.status(): the raw 404
    elif o.protocol == IONQ:  # a 404 is not retried
        assert lost.code == "IonQAPIError"
        assert "job_not_found" in lost.message
    else:
        assert lost.code == "job_not_found"
    await r.revert(Stall())
    await r.events.until("backend.execution")  # the job ran all the same
    await r.revert(LostJobs(switches.LostJobs(1.0)))
    await done(r, submitted.value)


@case("api.unknown_status")
async def unknown_status(r: Rig) -> None:
    """A terminal status the client does not know (IonQ's "deleted")."""
    o = r.observer
    fault = UnknownStatus(switches.UnknownStatus("deleted"))
    await r.inject(fault)
    submitted = await o.submit()
    assert submitted.ok, submitted
    await r.cloud.jobs[submitted.value].done.wait()
    waited = await o.wait(submitted.value, within=2.0)
    assert not waited.ok
    if o.protocol == IONQ:  # raises at once
        assert waited.code == "IonQJobError", waited
        assert "Unknown or unmappable job status deleted" in waited.message
    else:  # not a final state: the client keeps polling (forever without a timeout)
        assert waited.code == "timeout", waited
        assert waited.value["status"] == "DELETED"
    await r.revert(fault)
    await done(r, submitted.value)


# -- backend -----------------------------------------------------------------------


@case("backend.outage")
async def outage(r: Rig) -> None:
    o = r.observer
    await r.inject(Outage())
    status = await o.backend_status()
    assert status.ok
    assert status.value["state"] == "offline"
    refused = await o.submit()
    assert not refused.ok
    if o.protocol == IBM:
        # the client retries a 503 POST 5 times with exponential backoff (~15 s), then
        # gives up: urllib3's "too many 503 error responses"
        assert refused.code == "IBMRuntimeError"
        assert "too many 503 error responses" in refused.message
        assert refused.seconds >= 10
    elif o.protocol == IONQ:  # retried 5 times at once, then given up
        assert (refused.code, refused.status) == ("IonQRetriableError", 503)
        assert "backend_offline" in refused.message
    else:
        assert (refused.status, refused.code) == (503, "backend_offline")
    await r.revert(Outage())
    submitted = await o.submit()
    assert submitted.ok
    await done(r, submitted.value)


@case("backend.maintenance")
async def maintenance(r: Rig) -> None:
    o, fault = r.observer, Maintenance(mode="hold")
    await r.inject(fault)
    status = await o.backend_status()
    assert status.value["state"] == "maintenance"  # IBM: status "paused", not operational
    held = await o.submit()
    assert held.ok
    waited = await o.wait(held.value, within=2.0)
    assert (waited.ok, waited.value["status"]) == (False, "QUEUED"), waited
    await r.revert(fault)
    await done(r, held.value)


@case("backend.slowdown")
async def slowdown(r: Rig) -> None:
    await r.inject(Slowdown(switches.Slowdown(5.0)))
    submitted = await r.observer.submit()
    await done(r, submitted.value)
    (execution,) = r.events.of("backend.execution")
    assert execution["qpu_s"] == pytest.approx(1.0)  # 0.2 s x 5
    if r.observer.protocol == IBM:
        metrics = await ibm(r).call(ibm_client.metrics, submitted.value)
        assert metrics.value["usage"]["quantum_seconds"] == pytest.approx(1.0)


@case("backend.job_failures")
async def job_failures(r: Rig) -> None:
    o = r.observer
    await r.inject(JobFailures(switches.JobFailures(1.0, "qpu_error")))
    submitted = await o.submit()
    waited = await o.wait(submitted.value)
    assert waited.value["status"] == "ERROR", waited
    failed = await o.result(submitted.value)
    assert not failed.ok
    if o.protocol == IBM:
        assert failed.code == "RuntimeJobFailureError"
        assert "Error code 1010" in failed.message
        assert "qpu_error" in failed.message
    elif o.protocol == IONQ:
        # status() raises the job's failure, as the client words it, once; after that
        # job.result() returns None without a word
        assert 'Failure from IonQ API "qpu_error' in waited.value["error"]
        assert failed.code == "no_result"
    else:
        assert (failed.status, failed.code) == (409, "job_error")
        assert waited.value["error"] == "qpu_error"


@case("backend.config_change")
async def config_change(r: Rig) -> None:
    """A coupler taken out under compiled circuits: only IBM's wire checks them."""
    o = r.observer
    pair = [0, 1]
    if o.protocol == IBM:  # the coupler the client's transpiled GHZ circuit uses
        await done(r, (await o.submit(3, 200)).value)
        pair = (await ibm(r).call(ibm_client.isa_couplers, 3)).value[0]
    fault = ConfigChange(switches.ConfigChange(remove_edges=((pair[0], pair[1]),)))
    await r.inject(fault)
    submitted = await o.submit(3, 200)
    if o.protocol == IBM:  # refused, the client's backend (and circuit) being stale
        assert (submitted.ok, submitted.status) == (False, 400), submitted
        assert "ISA circuits only" in submitted.message
        await r.revert(fault)
        await done(r, (await o.submit(3, 200)).value)
        return
    # the native API serves the change (an ``isa: true`` backend refuses, see
    # test_config_drift) and transpiles logical circuits itself; IonQ's
    # ``connectivity`` is the device's own, its circuits are logical
    await done(r, submitted.value)
    if isinstance(o, NativeObserver):
        listed = await o._call("GET", "/v1/backends")
        row = listed.value["backends"][0]
        assert row["configuration_version"] == 1
        assert pair not in row["coupling_map"]
    await r.revert(fault)


@case("backend.partial_results")
async def partial_results(r: Rig) -> None:
    await r.inject(PartialResults(switches.PartialResults(1.0, keep=0.5, silent=False)))
    submitted = await r.observer.submit(shots=1000)
    if r.observer.protocol == IONQ:
        # IonQ results are probabilities: the client scales them to the shots it asked
        # for, so only the job's warning (a Python warning in the client) tells
        waited = await r.observer.wait(submitted.value)
        assert any("partial result: 500 of 1000 shots" in w for w in waited.warnings), waited
        (pub,) = (await r.observer.result(submitted.value)).value
        assert pub["shots"] == 1000
        assert abs(sum(pub["counts"].values()) - 1000) <= len(pub["counts"])  # rounding
        return
    (pub,) = await done(r, submitted.value)
    assert pub["shots"] == sum(pub["counts"].values()) == 500
    assert pub["metadata"].get("partial") is True


@case("backend.corrupt_results")
async def corrupt_results(r: Rig) -> None:
    await r.inject(CorruptResults(switches.CorruptResults(1.0, mode="bitflip")))
    submitted = await r.observer.submit(shots=1000)
    (pub,) = await done(r, submitted.value)
    top = max(pub["counts"], key=pub["counts"].get)
    assert top not in ("000", "111")  # a GHZ with one wire flipped
    assert r.events.of("backend.result_corrupted")


# -- queue ---------------------------------------------------------------------------


@case("queue.saturation")
async def saturation(r: Rig) -> None:
    await r.inject(Saturation(switches.Saturation(40.0)))
    await r.events.until("backend.switch")
    if r.observer.protocol == IONQ:  # IonQ states the wait, not the queue's length
        for _ in range(200):
            waited_ms = await ionq(r).call(ionq_client.queue_time)
            if waited_ms.value > 300:  # 3 jobs of 0.2 s waiting for 2 slots
                break
            await asyncio.sleep(0.05)  # the client's poll interval
        assert waited_ms.value > 300, waited_ms
        await r.revert(Saturation(switches.Saturation(40.0)))
        return
    for _ in range(200):  # other tenants' jobs pile up within a few seconds
        status = await r.observer.backend_status()
        if status.value["queue"] > 3:
            break
        await asyncio.sleep(0.05)  # the client's poll interval
    assert status.value["queue"] > 3, status  # IBM: pending_jobs from length_queue
    await r.revert(Saturation(switches.Saturation(40.0)))


@case("queue.stall")
async def stall(r: Rig) -> None:
    o = r.observer
    await r.inject(Stall())
    submitted = await o.submit()
    status = await o.backend_status()
    assert status.value["state"] == "online"  # a stall is invisible in the status
    waited = await o.wait(submitted.value, within=2.0)
    assert waited.value["status"] == "QUEUED", waited
    await r.revert(Stall())
    await done(r, submitted.value)


@case("queue.rejection")
async def rejection(r: Rig) -> None:
    await r.inject(Rejection(switches.QueueLimit(0)))
    refused = await r.observer.submit()
    assert (refused.ok, refused.status) == (False, 429), refused
    if r.observer.protocol == IBM:
        assert refused.code == "IBMRuntimeError"  # 429 on a POST: not retried
        assert "queue_full" in refused.message
    elif r.observer.protocol == IONQ:  # retried 5 times at once
        assert refused.code == "IonQRetriableError"
        assert "queue_full" in refused.message
    else:
        assert refused.code == "queue_full"
    await r.revert(Rejection(switches.QueueLimit(0)))


@case("queue.eviction")
async def eviction(r: Rig) -> None:
    o = r.observer
    await r.inject(Stall())
    submitted = await o.submit()
    await r.inject(Eviction(fraction=1.0, reason="calibration"))
    waited = await o.wait(submitted.value)
    assert waited.value["status"] == "CANCELLED", waited
    gone = await o.result(submitted.value)
    assert not gone.ok
    if o.protocol == IBM:
        assert gone.code == "RuntimeInvalidStateError"
    elif o.protocol == IONQ:
        assert gone.code == "IonQJobStateError"  # "Cannot retrieve result for canceled job"
        assert any("Job was cancelled" in w for w in waited.warnings)
    else:
        assert (gone.status, waited.value["error"]) == (409, "evicted")
    await r.revert(Stall())


@case("queue.running_without_qpu")
async def running_without_qpu(r: Rig) -> None:
    o = r.observer
    await r.inject(RunningWithoutQpu())
    submitted = await o.submit()
    await r.events.until("backend.job_hung")
    assert (await o.job_status(submitted.value)).value == "RUNNING"
    if o.protocol == IBM:  # it says RUNNING, yet no QPU time is used
        metrics = await ibm(r).call(ibm_client.metrics, submitted.value)
        assert metrics.value["timestamps"]["running"] is not None
        assert metrics.value["usage"]["quantum_seconds"] == 0
    waited = await o.wait(submitted.value, within=1.0)
    assert waited.value["status"] == "RUNNING", waited
    await r.revert(RunningWithoutQpu())
    await done(r, submitted.value)


@case("queue.stuck_queued")
async def stuck_queued(r: Rig) -> None:
    o, fault = r.observer, StuckQueued(switches.StuckQueued(1.0))
    await r.inject(fault)
    stuck = await o.submit()
    await r.revert(fault)
    later = await o.submit()
    await done(r, later.value)  # a job submitted after it passes it by
    waited = await o.wait(stuck.value, within=1.0)
    assert waited.value["status"] == "QUEUED"  # still, after the window
    assert (await o.cancel(stuck.value)).ok
    assert (await o.wait(stuck.value)).value["status"] == "CANCELLED"


# -- account ---------------------------------------------------------------------------


@case("account.usage_limit")
async def usage_limit(r: Rig) -> None:
    o = r.observer
    await r.inject(UsageLimit())
    held = await o.submit()
    assert held.ok  # accepted without an error
    waited = await o.wait(held.value, within=2.0)
    assert waited.value["status"] == "QUEUED", waited
    if o.protocol == IBM:  # the only sign: a warning at submission, and the usage endpoint
        assert any("Workloads will not run until time is" in w for w in held.warnings), held
        usage = await ibm(r).call(ibm_client.usage)
        assert usage.value["usage_limit_reached"] is True
    await r.revert(UsageLimit())
    await done(r, held.value)


@case("account.pending_jobs_limit")
async def pending_jobs_limit(r: Rig) -> None:
    o, fault = r.observer, PendingJobsLimit(switches.PendingJobsLimit(2))
    await r.inject(Stall())  # so that the first jobs stay pending
    await r.inject(fault)
    for _ in range(2):
        assert (await o.submit()).ok
    refused = await o.submit()
    assert not refused.ok
    if o.protocol == IBM:
        assert (refused.status, refused.code) == (400, "IBMRuntimeError")
        assert "3458" in refused.message
        assert "limit of 2 pending jobs" in refused.message
    elif o.protocol == IONQ:  # a 429: retried 5 times at once
        assert (refused.status, refused.code) == (429, "IonQRetriableError")
        assert "pending_jobs_limit" in refused.message
    else:
        assert (refused.status, refused.code) == (429, "pending_jobs_limit")
    await r.revert(fault)
    assert (await o.submit()).ok
    await r.revert(Stall())


@case("account.session_expiry")
async def session_expiry(r: Rig) -> None:
    o, fault = r.observer, SessionExpiry(switches.SessionTtl(0.0))
    if o.protocol != IBM:  # no sessions in the native API: nothing expires
        await r.inject(fault)
        submitted = await o.submit()
        await done(r, submitted.value)
        await r.revert(fault)
        return
    assert (await ibm(r).call(ibm_client.open_mode, "session")).ok
    await done(r, (await o.submit()).value)
    await r.inject(Stall())
    queued = await o.submit()
    await r.inject(fault)  # the session reaches its max TTL in the middle of the workload
    (closed,) = await r.events.until("backend.session_closed")
    assert closed["cancelled_jobs"] == [queued.value]
    assert (await o.wait(queued.value)).value["status"] == "CANCELLED"
    refused = await o.submit()
    assert (refused.ok, refused.status) == (False, 400)
    assert "Session has been closed" in refused.message
    await r.revert(fault)
    await r.revert(Stall())


# -- calibration ---------------------------------------------------------------------


async def readout(r: Rig) -> list[float]:
    props = await r.observer.properties()
    assert props.ok, props
    return list(props.value["readout_error"])


@case("calibration.drift")
async def drift(r: Rig) -> None:
    before = await readout(r)
    await r.inject(Drift(factors=Factors(1.0, 1.0, 3.0, 1.0), ramp=0.0))
    await r.events.until("backend.calibration")
    after = await readout(r)
    assert after[0] == pytest.approx(before[0] * 3, rel=1e-6)
    if r.observer.protocol == IBM:  # the client's own Target sees it after refresh()
        target = await ibm(r).call(ibm_client.target_readout_error, 0)
        assert target.value == pytest.approx(after[0], rel=1e-6)


@case("calibration.bad_qubit")
async def bad_qubit(r: Rig) -> None:
    if r.observer.protocol == IONQ:  # medians only: one bad qubit widens the spread
        before_props = await r.observer.properties()
        await r.inject(BadQubit(qubit=1))
        await r.events.until("backend.calibration")
        after_props = await r.observer.properties()
        assert after_props.value["spam_stderr"] > before_props.value["spam_stderr"]
        return
    before = await readout(r)
    await r.inject(BadQubit(qubit=1))
    await r.events.until("backend.calibration")
    after = await readout(r)
    assert after[1] == pytest.approx(min(0.5, before[1] * 8), rel=1e-6)
    assert after[0] == pytest.approx(before[0])


@case("calibration.stale_properties")
async def stale_properties(r: Rig) -> None:
    first = await r.observer.properties()
    await r.inject(StaleProperties())
    await r.inject(Drift(factors=Factors(1.0, 1.0, 3.0, 1.0), ramp=0.0))
    await r.events.until("backend.calibration")
    stale = await r.observer.properties()
    assert stale.value["readout_error"] == first.value["readout_error"]  # the numbers lie
    assert r.cloud.calibration.current.version > r.cloud.calibration.served.version


@case("calibration.recalibration")
async def recalibration(r: Rig) -> None:
    before = await r.observer.properties()
    await r.inject(Recalibration(jitter=0.2))
    after = await r.observer.properties()
    assert after.value["last_update"] != before.value["last_update"]
    assert after.value["readout_error"] != before.value["readout_error"]


# -- network (the fault proxy: the same TCP for both) -------------------------------


@case("network.refuse")
async def refuse(r: Rig) -> None:
    await r.inject(Refuse())
    if r.observer.protocol == IONQ:  # a failed GET is retried forever (<= 1 s jitter)
        out = await blocked_until_reverted(r, Refuse())
        assert out.ok, out
        return
    refused = await r.observer.backend_status()
    assert not refused.ok
    if r.observer.protocol == IBM:
        assert refused.code == "RequestsApiError"
        assert "Connection refused" in refused.message or "Max retries" in refused.message
    await r.revert(Refuse())
    assert (await r.observer.backend_status()).ok


@case("network.reset")
async def reset(r: Rig) -> None:
    await r.inject(Reset(after=0.0))
    if r.observer.protocol == IONQ:  # a failed GET is retried forever (<= 1 s jitter)
        out = await blocked_until_reverted(r, Reset(after=0.0))
        assert out.ok, out
        return
    broken = await r.observer.backend_status()
    assert not broken.ok
    await r.revert(Reset(after=0.0))
    assert (await r.observer.backend_status()).ok


@case("network.latency")
async def latency(r: Rig) -> None:
    await r.inject(Latency(latency=0.5))
    slow = await r.observer.backend_status()
    assert slow.ok
    assert slow.seconds >= 0.45
    await r.revert(Latency(latency=0.5))


@case("network.partition")
async def partition(r: Rig) -> None:
    """A black hole: neither client has a read timeout; the call waits it out."""
    await r.inject(Partition())
    out = await blocked_until_reverted(r, Partition())
    assert out.ok or out.code in ("ServerDisconnectedError", "RequestsApiError"), out


@pytest.mark.parametrize("protocol", ["native", IBM, IONQ])
@pytest.mark.parametrize("kind", sorted(CASES))
async def test_fault_means_the_same_in_every_protocol(protocol_rig, kind, protocol):
    rig = await protocol_rig(protocol, slots=2)
    await CASES[kind](rig)
