"""The orchestrator's job table: idempotent creation, pending queue, state changes.

Client idempotency keys are scoped by tenant, and kept apart from the ids the store
generates: two tenants sending the same key get two jobs, and a client key that happens
to equal a generated id (``oj-...``) is just another key. The key a job carries to a
backend (:attr:`Job.backend_key`) keeps that scoping, because the backend sees one
tenant (the orchestrator's API key) for all of them: ``<tenant>/<client key>``, the
tenant percent-encoded so the first ``/`` separates; a job without a client key sends
its generated id, which has no ``/`` and names this store's *instance*, drawn at random
when the orchestrator starts, so a restarted orchestrator never reuses an earlier
run's keys (the backend would hand back that run's result).

A job the backend failed may be submitted again (``resubmit_attempts``): the backend
would answer its spent key with the failed job, so attempt ``n`` carries the key scoped
by attempt too: ``<tenant>@<n>/<client key>`` (``@`` is percent-encoded inside the
tenant, so the scoping stays unambiguous), or ``<id>@<n>``.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from urllib.parse import quote

from plumbing.clock import Clock
from reference_orchestrator.pending import FairLine, FifoLine, Line

__all__ = ["Job", "JobState", "JobStore", "backend_key"]


class JobState(StrEnum):
    """queued -> submitted -> completed | failed."""

    QUEUED = "queued"
    SUBMITTED = "submitted"
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(slots=True, eq=False)
class Job:
    """One client job (mutable; the dispatcher advances it)."""

    id: str
    key: str | None  # the client's idempotency key, if it sent one
    circuit: str
    fmt: str
    shots: int
    tenant: str
    created_at: float
    state: JobState = JobState.QUEUED
    backend: str | None = None
    backend_job_id: str | None = None
    counts: dict[str, int] | None = None
    error: str | None = None
    attempts: int = 0
    server_errors: int = 0  # submits answered with a 5xx that may be this job's fault
    finished_at: float | None = None
    pinned: str | None = None  # the backend that may hold it after a submit got no answer
    resubmits: int = 0  # times the backend failed it and it was submitted again
    submitted_at: float | None = None  # when its backend accepted it (this attempt)
    avoid: str | None = None  # a backend it was stuck on: elsewhere first, if any admits

    @property
    def backend_key(self) -> str:
        """The idempotency key sent to backends (see the module docstring)."""
        if self.key is None:
            return self.id if not self.resubmits else f"{self.id}@{self.resubmits}"
        return backend_key(self.tenant, self.key, self.resubmits)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "idempotency_key": self.key,
            "state": self.state.value,
            "shots": self.shots,
            "tenant": self.tenant,
            "backend": self.backend,
            "backend_job_id": self.backend_job_id,
            "counts": self.counts,
            "error": self.error,
            "attempts": self.attempts,
            "resubmits": self.resubmits,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


def backend_key(tenant: str, key: str, attempt: int = 0) -> str:
    """``<tenant>/<key>``, the tenant percent-encoded (no ``/`` or ``@`` in it:
    unambiguous); a resubmit's key names its attempt: ``<tenant>@<n>/<key>``."""
    scope = quote(tenant, safe="")
    return f"{scope}@{attempt}/{key}" if attempt else f"{scope}/{key}"


class JobStore:
    """In-memory job table with a line of jobs waiting to be dispatched.

    ``instance`` names this store in generated ids (default: random, see the module
    docstring). ``tenant_inflight``: the line is fair by tenant, at most that many jobs
    of one tenant dispatched at once (:class:`~reference_orchestrator.pending.FairLine`);
    None: first come, first served.
    """

    def __init__(
        self, clock: Clock, *, instance: str | None = None, tenant_inflight: int | None = None
    ) -> None:
        self.instance = instance or secrets.token_hex(4)
        self._clock = clock
        self._jobs: dict[str, Job] = {}
        self._by_key: dict[tuple[str, str], Job] = {}
        self._pending: Line = FifoLine() if tenant_inflight is None else FairLine(tenant_inflight)
        self._inflight: dict[str, Job] = {}
        self._has_pending = asyncio.Event()
        self._ids = itertools.count(1)

    def create(
        self, *, circuit: str, fmt: str, shots: int, tenant: str, key: str | None
    ) -> tuple[Job, bool]:
        """Create a job, or return the existing one for the same (tenant, key)."""
        if key is not None and (job := self._by_key.get((tenant, key))) is not None:
            return job, False
        job_id = f"oj-{self.instance}-{next(self._ids):06d}"
        job = Job(job_id, key, circuit, fmt, shots, tenant, self._clock.now())
        self._jobs[job_id] = job
        if key is not None:
            self._by_key[(tenant, key)] = job
        self._pending.push(job)
        self._has_pending.set()
        return job, True

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    async def next_pending(self) -> Job:
        """Wait for and take the next job that may be dispatched (the line's order)."""
        while (job := self._pending.take()) is None:
            self._has_pending.clear()
            await self._has_pending.wait()
        return job

    def requeue(self, job: Job) -> None:
        """Put a job back at the head of the line (its dispatch failed transiently)."""
        self._pending.push_front(job)
        self._has_pending.set()

    def mark_submitted(self, job: Job, backend: str, backend_job_id: str) -> None:
        job.state = JobState.SUBMITTED
        job.backend = backend
        job.backend_job_id = backend_job_id
        job.submitted_at = self._clock.now()
        self._inflight[job.id] = job

    def resubmit(self, job: Job, error: str) -> None:
        """The backend failed ``job`` (or it was stuck there and cancelled): queue it again
        (at the back) for another attempt, under a new idempotency key."""
        job.resubmits += 1
        job.error = error
        job.state = JobState.QUEUED
        job.backend = job.backend_job_id = None
        self._inflight.pop(job.id, None)
        self._pending.push(job)
        self._has_pending.set()

    def complete(self, job: Job, counts: dict[str, int]) -> None:
        job.state = JobState.COMPLETED
        job.counts = counts
        job.finished_at = self._clock.now()
        self._finished(job)

    def fail(self, job: Job, error: str) -> None:
        job.state = JobState.FAILED
        job.error = error
        job.finished_at = self._clock.now()
        self._finished(job)

    def _finished(self, job: Job) -> None:
        self._inflight.pop(job.id, None)
        if self._pending.release(job):
            self._has_pending.set()  # its tenant has room again

    def inflight(self) -> list[Job]:
        """Jobs submitted to a backend and not finished."""
        return list(self._inflight.values())

    def stats(self) -> dict[str, int]:
        counts = collections.Counter(j.state.value for j in self._jobs.values())
        return {s.value: counts.get(s.value, 0) for s in JobState}
