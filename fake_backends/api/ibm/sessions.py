"""Sessions and batches: groups of jobs with a maximum time to live.

``POST /sessions`` (``mode``: ``dedicated`` for a Session, ``batch`` for a Batch,
optional ``max_ttl``), ``GET /sessions/{id}``, ``PATCH /sessions/{id}``
(``{"accepting_jobs": false}``: what the client's ``close()`` and context-manager exit
send) and ``DELETE /sessions/{id}/close`` (the client's ``cancel()``: queued jobs
cancelled, session closed).

A session's max TTL runs from its creation, in scenario seconds (default 8 h, as on
IBM's plans). When it is reached the session closes: its queued jobs are CANCELLED
(reason ``session closed: max TTL reached``), running ones finish, and every later
submission to it is refused with 400, IBM code 1217 "Session has been closed.".
A session that no longer accepts jobs closes once its last job is final. Sessions
group jobs; they do not reserve the device (no exclusive access is modelled), and the
interactive TTL is not modelled.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends import records
from fake_backends.api.ibm.errors import MAX_BODY_BYTES
from fake_backends.api.observe import read_body
from fake_backends.queue import BackendJob
from fake_backends.switches import SessionTtl
from plumbing.clock import sleep_or_event
from plumbing.http_errors import ApiError

if TYPE_CHECKING:
    from fake_backends.api.ibm.app import IbmApi

__all__ = ["DEFAULT_MAX_TTL", "RuntimeSession", "Sessions"]

DEFAULT_MAX_TTL = 8 * 3600.0
MODES = ("dedicated", "batch")
EXPIRED = "max TTL reached"


@dataclass(slots=True, eq=False)
class RuntimeSession:
    """One session or batch (mutable: jobs join it, it closes)."""

    id: str
    tenant: str
    mode: str
    created_at: float
    max_ttl: float
    accepting_jobs: bool = True
    closed_at: float | None = None
    closed_reason: str | None = None
    jobs: list[BackendJob] = field(default_factory=list)

    @property
    def pending(self) -> bool:
        return any(not job.status.final for job in self.jobs)

    def close_if_drained(self, now: float) -> None:
        if self.closed_at is None and not self.accepting_jobs and not self.pending:
            self.closed_at, self.closed_reason = now, "closed by the client"

    @property
    def state(self) -> str:
        if self.closed_at is not None:
            return "closed"
        return "active" if self.jobs else "open"


class Sessions:
    """Session state of one cloud, its endpoints, and the task that expires sessions."""

    def __init__(self, api: IbmApi) -> None:
        self.api = api
        self.cloud = api.cloud
        self.sessions: dict[str, RuntimeSession] = {}
        self._rng = random.Random(api.cloud.seed ^ 0x5E55)
        self._wake = asyncio.Event()
        self.cloud.switches.watch(SessionTtl, self.changed)

    # -- rules -----------------------------------------------------------------

    def admit(self, tenant: str, session_id: str) -> RuntimeSession:
        """The session a new job joins, or the refusal IBM answers."""
        session = self.sessions.get(session_id)
        if session is None or session.tenant != tenant:
            raise ApiError(404, "session_not_found", f"Session {session_id} not found.")
        session.close_if_drained(self.cloud.clock.now())
        if session.closed_at is not None or not session.accepting_jobs:
            raise ApiError(400, "session_closed", "Session has been closed.")
        return session

    def max_ttl(self, session: RuntimeSession) -> float:
        """The session's max TTL, cut to the ``account.session_expiry`` fault's while on."""
        cap = self.cloud.switches.get(SessionTtl)
        return session.max_ttl if cap is None else min(session.max_ttl, cap.max_ttl)

    def changed(self) -> None:
        """Re-plan expiries (a session was created, or the fault's TTL cap changed)."""
        self._wake.set()

    async def run(self) -> None:
        """Close each session when its max TTL is reached, forever (cancel to stop)."""
        clock = self.cloud.clock
        while True:
            self._wake.clear()
            now = clock.now()
            due = [s.created_at + self.max_ttl(s) for s in self._open()]
            for session in self._open():
                if session.created_at + self.max_ttl(session) <= now:
                    self._expire(session)
            later = [d for d in due if d > now]
            await sleep_or_event(clock, min(later) - now if later else None, self._wake)

    def _open(self) -> list[RuntimeSession]:
        return [s for s in self.sessions.values() if s.closed_at is None]

    def _expire(self, session: RuntimeSession) -> None:
        self._close(session, EXPIRED)

    def _close(self, session: RuntimeSession, reason: str) -> None:
        session.closed_at, session.closed_reason = self.cloud.clock.now(), reason
        session.accepting_jobs = False
        cancelled = [
            job.id
            for job in session.jobs
            if self.cloud.queue.cancel(
                job, reason=f"session closed: {reason}", code="session_closed"
            )
        ]
        self.cloud.emit(
            records.SESSION_CLOSED(
                {
                    "backend": self.cloud.name,
                    "session": session.id,
                    "reason": reason,
                    "cancelled_jobs": cancelled,
                }
            )
        )

    # -- endpoints ---------------------------------------------------------------

    async def create(self, request: web.Request) -> web.Response:
        tenant = self.api.tenant(request)
        body = self.api.json_object(await read_body(request, MAX_BODY_BYTES))
        mode = body.get("mode") or "dedicated"
        if mode not in MODES:
            raise ApiError(400, "invalid_field", f"mode: expected one of {MODES}, found {mode!r}")
        if body.get("backend") is not None:
            self.api.backends.check(str(body["backend"]))
        max_ttl = body.get("max_ttl")
        if max_ttl is not None and (not isinstance(max_ttl, int) or max_ttl <= 0):
            raise ApiError(
                400, "invalid_field", f"max_ttl: expected seconds > 0, found {max_ttl!r}"
            )
        session = RuntimeSession(
            id=f"{self.cloud.name}-s{self._rng.getrandbits(40):010x}",
            tenant=tenant,
            mode=mode,
            created_at=self.cloud.clock.now(),
            max_ttl=min(float(max_ttl or DEFAULT_MAX_TTL), DEFAULT_MAX_TTL),
        )
        self.sessions[session.id] = session
        self.changed()
        return self.api.json(self._details(session))

    def _mine(self, request: web.Request) -> RuntimeSession:
        tenant = self.api.tenant(request)
        session = self.sessions.get(request.match_info["id"])
        if session is None or session.tenant != tenant:
            raise ApiError(
                404, "session_not_found", f"Session {request.match_info['id']} not found."
            )
        session.close_if_drained(self.cloud.clock.now())
        return session

    async def details(self, request: web.Request) -> web.Response:
        return self.api.json(self._details(self._mine(request)))

    async def update(self, request: web.Request) -> web.Response:
        session = self._mine(request)
        body = self.api.json_object(await read_body(request, MAX_BODY_BYTES))
        accepting = body.get("accepting_jobs")
        if not isinstance(accepting, bool):
            raise ApiError(400, "invalid_field", "accepting_jobs: expected true or false")
        if session.closed_at is None:
            session.accepting_jobs = accepting
            session.close_if_drained(self.cloud.clock.now())
        return web.Response(status=204)

    async def cancel(self, request: web.Request) -> web.Response:
        session = self._mine(request)
        if session.closed_at is None:
            self._close(session, "cancelled by the client")
        return web.Response(status=204)

    def _details(self, session: RuntimeSession) -> dict[str, Any]:
        ts = self.cloud.timestamp
        started = [j.started_at for j in session.jobs if j.started_at is not None]
        finished = [j.finished_at for j in session.jobs if j.finished_at is not None]
        return {
            "id": session.id,
            "backend_name": self.cloud.name,
            "mode": session.mode,
            "state": session.state,
            "accepting_jobs": session.accepting_jobs and session.closed_at is None,
            "max_ttl": round(self.max_ttl(session)),
            "interactive_ttl": None,
            "active_ttl": round(self.max_ttl(session)),
            "started_at": ts(session.created_at),
            "activated_at": ts(min(started)) if started else None,
            "last_job_started": ts(max(started)) if started else None,
            "last_job_completed": ts(max(finished)) if finished else None,
            "closed_at": ts(session.closed_at),
            "closed_reason": session.closed_reason,
            "elapsed_time": round(sum(j.qpu_seconds for j in session.jobs), 6),
            "timestamps": [],
        }
