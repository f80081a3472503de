"""Jobs the IBM way: primitive programs in, RuntimeEncoder JSON out.

``POST /jobs`` takes ``{"program_id": "sampler" | "estimator" | "executor",
"backend", "params", "session_id"?, "tags"?}``. An Aer worker decodes the params
(pubs as QPY, base64 + zlib, observables, parameter bindings) into units, memoized
per identical params; the cloud's :class:`~fake_backends.jobs.JobService` then queues
them as one job, under the same rules as a native job (queue depth, limits, faults).
IBM's API has no idempotency key: a POST the client retries after a lost answer really
runs again. A job tag ``qgameday-key:<key>`` labels the job's executions with ``key``
for the ledger (an orchestrator forwards its own job key there), so such duplicates are
counted.

``GET /jobs/{id}`` answers ``state.status`` in IBM's words (``Queued``, ``Running``,
``Completed``, ``Failed``, ``Cancelled``) with ``reason`` and ``reason_code`` for
failures; ``/results`` the result text, assembled once per job (by a worker, or for a
plain SamplerV2 job by :mod:`.results`; the failure text for a failed job);
``/metrics`` timestamps and QPU seconds;
``POST /jobs/{id}/cancel`` cancels a queued job (409 otherwise); ``GET /jobs`` lists
the tenant's jobs (``pending``, ``session_id``, ``limit``, ``offset``).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends.api.ibm.errors import MAX_BODY_BYTES
from fake_backends.api.ibm.results import sampler_json
from fake_backends.api.middleware import refusals_as_api_errors
from fake_backends.api.observe import read_body
from fake_backends.errors import CircuitRejected, JobRefused, WorkerDied, WorkTimeout
from fake_backends.executor import PreparedCircuit
from fake_backends.jobs import JobRequest
from fake_backends.queue import BackendJob, JobStatus, Program
from plumbing.http_errors import ApiError

if TYPE_CHECKING:
    from fake_backends.api.ibm.app import IbmApi
    from fake_backends.api.ibm.sessions import RuntimeSession

__all__ = ["KEY_TAG", "PROGRAMS", "Jobs"]

WORKER = "fake_backends.api.ibm.worker"
PROGRAMS = ("sampler", "estimator", "executor")
KEY_TAG = "qgameday-key:"
MAX_TAGS = 32
_STATE = {
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.DONE: "Completed",
    JobStatus.ERROR: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}
_DEVICE_FAILURE = 1010  # IBM: "Error returned at backend level"


@dataclass(frozen=True, slots=True)
class IbmJob:
    """What the IBM protocol remembers about a job beyond the shared rules."""

    program_id: str
    session_id: str | None
    tags: tuple[str, ...]


class Jobs:
    """Handlers for the job endpoints of one cloud."""

    def __init__(self, api: IbmApi) -> None:
        self.api = api
        self.cloud = api.cloud
        self.meta: dict[str, IbmJob] = {}
        self._results: dict[str, str] = {}

    # -- submission ----------------------------------------------------------------

    async def submit(self, request: web.Request) -> web.Response:
        tenant = self.api.tenant(request)
        body = self.api.json_object(await read_body(request, MAX_BODY_BYTES))
        program_id = body.get("program_id")
        if program_id not in PROGRAMS:
            raise ApiError(404, "program_not_found", f"Program {program_id!r} not found.")
        self.api.backends.check(str(body.get("backend") or self.cloud.name))
        params = body.get("params")
        if not isinstance(params, dict):
            raise ApiError(400, "invalid_field", "params: expected an object")
        tags = _tags(body.get("tags"))
        session: RuntimeSession | None = None
        if body.get("session_id"):
            session = self.api.sessions.admit(tenant, str(body["session_id"]))
        program = await self._prepare(str(program_id), params)
        key = next((t[len(KEY_TAG) :] for t in tags if t.startswith(KEY_TAG)), None)
        service = self.cloud.job_service
        with refusals_as_api_errors():
            service.check_limits(chars=0, shots=max(program.shots, default=1), key=key)
            job_request = JobRequest(
                tenant, program.total_shots, key, dedupe=False, tags=tags, protocol="ibm"
            )
            accepted = await service.submit(job_request, prepare=lambda: _ready(program))
        job = accepted.job
        self.meta[job.id] = IbmJob(str(program_id), session.id if session else None, tags)
        if session is not None:
            session.jobs.append(job)
        body_out = {"id": job.id, "backend": self.cloud.name}
        if session is not None:
            body_out["session_id"] = session.id
        return self.api.json(body_out)

    async def _prepare(self, program_id: str, params: dict[str, Any]) -> Program:
        spec = self.cloud.spec
        text = json.dumps(params, separators=(",", ":"))
        # IBM checks circuits against the configuration it serves now (config_change)
        served = self.cloud.configuration.changed_check()
        key = f"{spec.device}\0{program_id}\0{served!r}\0{text}"
        digest = hashlib.sha256(key.encode()).hexdigest()

        async def decode() -> Program:
            limits = self.cloud.executor.limits
            try:
                out = await self.cloud.executor.call_in(
                    WORKER,
                    "prepare",
                    spec.device,
                    program_id,
                    params,
                    self.cloud.seed,
                    limits.max_operations,
                    limits.max_depth,
                    served,
                    deadline=limits.prepare_seconds,
                )
            except WorkTimeout:
                raise CircuitRejected(
                    f"job too costly: decoding it took over {limits.prepare_seconds:g} s"
                ) from None
            except WorkerDied as exc:
                raise CircuitRejected(f"job could not be decoded: {exc}") from None
            circuits = tuple(
                PreparedCircuit(
                    qpy,
                    num_qubits,
                    num_clbits,
                    depth,
                    tuple(physical),
                    active,
                    tuple(map(tuple, marks)) if marks is not None else None,
                )
                for qpy, num_qubits, num_clbits, depth, physical, active, marks in out["units"]
            )
            return Program(circuits, tuple(out["shots"]), out["packed"], out["plan"], out["layout"])

        try:
            program = await self.cloud.executor.memo(f"ibm:{digest}", decode)
        except CircuitRejected as exc:
            raise ApiError(400, "invalid_circuit", str(exc)) from None
        with refusals_as_api_errors():
            for circuit in program.circuits:
                self.cloud.job_service.check_width(circuit.active_qubits)
        return program

    # -- lookup ------------------------------------------------------------------

    def _job(self, request: web.Request) -> tuple[BackendJob, IbmJob]:
        job = self.api.job(request)
        return job, self._meta(job)

    def _meta(self, job: BackendJob) -> IbmJob:
        # a native job is in the same store, but is not a primitive program
        return self.meta.get(job.id) or IbmJob("circuit", None, job.tags)

    async def get(self, request: web.Request) -> web.Response:
        job, meta = self._job(request)
        return self.api.json(self._json(job, meta))

    async def list(self, request: web.Request) -> web.Response:
        tenant = self.api.tenant(request)
        q = request.query
        jobs = [j for j in self.cloud.jobs.values() if j.tenant == tenant]
        if "pending" in q:
            pending = q["pending"].lower() == "true"
            jobs = [j for j in jobs if j.status.final is not pending]
        if "session_id" in q:
            jobs = [
                j for j in jobs if (m := self.meta.get(j.id)) and m.session_id == q["session_id"]
            ]
        if "tags" in q:  # service.jobs(job_tags=[...]): jobs holding every tag
            wanted = set(q.getall("tags"))
            jobs = [j for j in jobs if wanted <= set(self._meta(j).tags)]
        if "program" in q:
            jobs = [j for j in jobs if (m := self.meta.get(j.id)) and m.program_id == q["program"]]
        jobs.sort(key=lambda j: j.created_at, reverse=q.get("sort", "DESC").upper() != "ASC")
        offset, limit = _int(q.get("offset"), 0), _int(q.get("limit"), 200)
        page = jobs[offset : offset + limit]
        rows = [self._json(j, self._meta(j)) for j in page]
        return self.api.json({"jobs": rows, "count": len(jobs), "offset": offset, "limit": limit})

    def _json(self, job: BackendJob, meta: IbmJob) -> dict[str, Any]:
        ts = self.cloud.timestamp
        status = _STATE[job.status]
        if (unknown := self.cloud.job_service.unknown_status(job)) is not None:
            status = unknown.capitalize()
        state: dict[str, Any] = {"status": status}
        if job.status in (JobStatus.ERROR, JobStatus.CANCELLED) and job.error:
            state["reason"] = job.error
            if job.status is JobStatus.ERROR:
                state["reason_code"] = _DEVICE_FAILURE
        _, start = self.cloud.queue.position(job)
        return {
            "id": job.id,
            "backend": self.cloud.name,
            "state": state,
            "status": status,
            "program": {"id": meta.program_id},
            "created": ts(job.created_at),
            "session_id": meta.session_id,
            "tags": list(meta.tags),
            "runtime": "",
            "private": False,
            "user_id": job.tenant,
            "estimated_start_time": ts(start),
            "usage": {"quantum_seconds": _used(job), "seconds": _used(job)},
        }

    # -- results and metrics -----------------------------------------------------

    async def results(self, request: web.Request) -> web.Response:
        job, meta = self._job(request)
        if job.status is JobStatus.ERROR:
            return web.Response(text=f"Error: {job.error} ({job.error_code})")
        with refusals_as_api_errors():
            self.cloud.job_service.require_result(job)
        if job.program is None or job.outputs is None:
            raise ApiError(409, "not_a_primitive_job", "job was not submitted as a primitive")
        text = self._results.get(job.id)
        if text is None:
            text = await self._assemble(job, meta)
            self._results[job.id] = text
        return web.Response(text=text, content_type="application/json")

    async def _assemble(self, job: BackendJob, meta: IbmJob) -> str:
        assert job.program is not None
        assert job.outputs is not None
        info = {
            "started": self.cloud.timestamp(job.started_at or job.created_at),
            "finished": self.cloud.timestamp(job.finished_at or job.created_at),
            "partial": job.partial,
        }
        if meta.program_id == "sampler":
            quick = sampler_json(job.program.plan, job.outputs, info)
            if quick is not None:
                return quick
        outputs = [(o.counts, o.packed) for o in job.outputs]
        limits = self.cloud.executor.limits
        text: str = await self.cloud.executor.call_in(
            WORKER,
            "result",
            meta.program_id,
            job.program.plan,
            outputs,
            info,
            deadline=limits.run_seconds,
        )
        return text

    async def metrics(self, request: web.Request) -> web.Response:
        job, _ = self._job(request)
        ts = self.cloud.timestamp
        position, start = self.cloud.queue.position(job)
        circuits = job.program.circuits if job.program is not None else ()
        body = {
            "timestamps": {
                "created": ts(job.created_at),
                "running": ts(job.started_at),
                "finished": ts(job.finished_at),
            },
            "bss": {"seconds": _used(job)},
            "usage": {
                "quantum_seconds": _used(job),
                "seconds": _used(job),
                "qpu_charge_time_seconds": _used(job),
                "status": "final" if job.status.final else "pending",
            },
            "executions": len(circuits),
            "num_circuits": len(circuits),
            "num_qubits": [c.num_qubits for c in circuits],
            "circuit_depths": [c.depth for c in circuits],
            "position_in_queue": position,
            "estimated_start_time": ts(start),
        }
        return self.api.json(body)

    async def logs(self, request: web.Request) -> web.Response:
        self._job(request)
        return web.Response(text="")

    async def cancel(self, request: web.Request) -> web.Response:
        job, _ = self._job(request)
        try:
            self.cloud.job_service.cancel(job)
        except JobRefused as exc:
            raise ApiError(409, exc.code, f"Job cannot be cancelled: {exc}") from None
        return web.Response(status=204)


async def _ready(program: Program) -> Program:
    return program


def _used(job: BackendJob) -> float:
    """QPU seconds a job has used: none until it ran."""
    return round(job.qpu_seconds, 6) if job.status.final and job.started_at is not None else 0.0


def _tags(raw: Any) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw) or len(raw) > MAX_TAGS:
        raise ApiError(400, "invalid_field", f"tags: expected at most {MAX_TAGS} strings")
    return tuple(raw)


def _int(text: str | None, default: int) -> int:
    if text is None:
        return default
    try:
        return max(0, int(text))
    except ValueError:
        raise ApiError(400, "invalid_field", f"expected a whole number, found {text!r}") from None
