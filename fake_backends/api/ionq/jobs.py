"""Jobs the IonQ way: ``ionq.circuit.v1`` gate lists in, probabilities out.

``POST /jobs`` takes ``{"type": "ionq.circuit.v1", "backend": "qpu.<cloud>", "shots",
"name"?, "input": {gateset, qubits, circuit}, "metadata"?}``; the gate list becomes
OpenQASM 3 (:mod:`.circuit`) that the cloud's :class:`~fake_backends.jobs.JobService`
prepares and queues under the same rules as a native job. IonQ's API has no
idempotency key: a POST the client retries (qiskit-ionq retries a 429 or 5xx answer to
a submission up to five times) really runs again. ``metadata.qgameday_key`` labels the
job's executions for the ledger (an orchestrator forwards its own job key there with
``extra_metadata``), so such duplicates are counted. ``metadata`` is echoed back, as
IonQ does: qiskit-ionq keeps its circuit header there and needs it to read results.

``GET /jobs/{id}``: ``status`` in IonQ's words (``ready`` while queued, ``started``,
``completed``, ``failed`` with ``failure: {code, error}``, ``canceled``), ``stats``, and
once completed ``results.probabilities.url``; ``/results/probabilities`` answers
``{"<state as an integer, qubit 0 least significant>": probability}`` over every qubit
of the job, ``/results/histogram`` the counts. A partial result (fewer shots than asked)
still sums to 1: the job's ``warning.messages`` says how many shots it holds, which
qiskit-ionq turns into a Python warning. ``PUT /jobs/{id}/status/cancel`` cancels a
queued job, is a no-op on a finished one (as IonQ documents) and 409 on a running one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends.api.ionq.circuit import CircuitError, to_qasm3
from fake_backends.api.ionq.errors import MAX_BODY_BYTES
from fake_backends.api.ionq.settings import API_PATH
from fake_backends.api.middleware import refusals_as_api_errors
from fake_backends.api.observe import read_body
from fake_backends.jobs import JobBodies, JobRequest
from fake_backends.queue import BackendJob, JobStatus
from plumbing.http_errors import ApiError

if TYPE_CHECKING:
    from fake_backends.api.ionq.app import IonqApi

__all__ = ["CIRCUIT_TYPE", "KEY_FIELD", "Jobs"]

CIRCUIT_TYPE = "ionq.circuit.v1"
KEY_FIELD = "qgameday_key"
DEFAULT_SHOTS = 100  # IonQ's default
MAX_METADATA_KEYS = 32
STATES = {
    JobStatus.QUEUED: "ready",
    JobStatus.RUNNING: "started",
    JobStatus.DONE: "completed",
    JobStatus.ERROR: "failed",
    JobStatus.CANCELLED: "canceled",
}
_NOT_SERVED = {
    "ionq.multi-circuit.v1": "multi-circuit jobs are not served by this fake: submit one "
    "circuit per job",
    "ionq.qasm3.v1": "OpenQASM 3 jobs (mid-circuit measurement, reset) are not served by this fake",
}


class Jobs:
    """Handlers for the job endpoints of one cloud."""

    def __init__(self, api: IonqApi) -> None:
        self.api = api
        self.cloud = api.cloud
        self.meta: dict[str, dict[str, Any]] = {}  # job id -> name, metadata, qubits, stats
        self._bodies = JobBodies(self.cloud.job_service, self._build, str.lower)

    # -- submission ----------------------------------------------------------------

    async def submit(self, request: web.Request) -> web.Response:
        tenant = self.api.tenant(request)
        body = self.api.json_object(await read_body(request, MAX_BODY_BYTES))
        kind = body.get("type", CIRCUIT_TYPE)
        if kind in _NOT_SERVED:
            raise ApiError(400, "unsupported_job_type", _NOT_SERVED[kind])
        if kind != CIRCUIT_TYPE:
            raise ApiError(400, "invalid_field", f"type: expected {CIRCUIT_TYPE!r}, found {kind!r}")
        backend = body.get("backend")
        if not isinstance(backend, str):
            raise ApiError(400, "invalid_field", "backend: expected a backend name")
        self.api.backends.check(backend)
        for unsupported in ("session_id", "dry_run"):
            if body.get(unsupported):
                raise ApiError(400, "invalid_field", f"{unsupported}: not served by this fake")
        shots = body.get("shots")
        shots = DEFAULT_SHOTS if shots is None else shots
        if not isinstance(shots, int) or isinstance(shots, bool):
            raise ApiError(400, "invalid_field", f"shots: expected a whole number, found {shots!r}")
        metadata = body.get("metadata")
        metadata = {} if metadata is None else metadata
        if not isinstance(metadata, dict) or len(metadata) > MAX_METADATA_KEYS:
            raise ApiError(
                400,
                "invalid_field",
                f"metadata: expected an object of at most {MAX_METADATA_KEYS} keys",
            )
        name = body.get("name")
        if name is not None and not isinstance(name, str):
            raise ApiError(400, "invalid_field", "name: expected a string")
        try:
            circuit = to_qasm3(body.get("input"), self.cloud.spec.max_qubits)
        except CircuitError as exc:
            raise ApiError(400, "invalid_circuit", str(exc)) from None
        key = metadata.get(KEY_FIELD)
        key = key if isinstance(key, str) else None
        service = self.cloud.job_service
        with refusals_as_api_errors():
            service.check_limits(chars=len(circuit.qasm), shots=shots, key=key)
            accepted = await service.submit(
                JobRequest(tenant, shots, key, dedupe=False, protocol="ionq"),
                prepare=lambda: service.prepare_circuit("qasm3", circuit.qasm),
            )
        job = accepted.job
        self.meta[job.id] = {
            "name": name,
            "metadata": metadata,
            "qubits": circuit.qubits,
            "gate_counts": {"1q": circuit.one_qubit_gates, "2q": circuit.two_qubit_gates},
        }
        return self.api.json({"id": job.id, "status": "submitted", "request": self._now()})

    def _now(self) -> int:
        return round(self.cloud.epoch_seconds(self.cloud.clock.now()))

    # -- lookup --------------------------------------------------------------------

    async def get(self, request: web.Request) -> web.Response:
        return self.api.json(self._bodies.get(self.api.job(request)))

    async def list(self, request: web.Request) -> web.Response:
        tenant = self.api.tenant(request)
        q = request.query
        jobs = [j for j in self.cloud.jobs.values() if j.tenant == tenant]
        if "status" in q:
            jobs = [j for j in jobs if STATES[j.status] == q["status"]]
        jobs.sort(key=lambda j: j.created_at, reverse=True)
        raw = q.get("limit", "25")
        if not raw.isdigit() or not 1 <= int(raw) <= 1000:
            raise ApiError(400, "invalid_field", "limit: expected 1..1000")
        listed = [self._bodies.get(j) for j in jobs[: int(raw)]]
        return self.api.json({"jobs": listed, "next": None})

    def _build(self, job: BackendJob) -> dict[str, Any]:
        ts = self.cloud.timestamp
        meta = self.meta.get(job.id, {})
        body: dict[str, Any] = {
            "id": job.id,
            "type": CIRCUIT_TYPE,
            "name": meta.get("name"),
            "status": STATES[job.status],
            "backend": self.api.backends.name,
            "shots": job.shots,
            "metadata": meta.get("metadata", {}),
            "submitted_at": ts(job.created_at),
            "started_at": ts(job.started_at),
            "completed_at": ts(job.finished_at),
            "execution_duration_ms": round(job.qpu_seconds * 1000) if job.status.final else None,
            "stats": {
                "qubits": meta.get("qubits", 0),
                "circuits": 1,
                "gate_counts": meta.get("gate_counts", {"1q": 0, "2q": 0}),
            },
            "child_job_ids": None,
            "dry_run": False,
        }
        if job.status is JobStatus.DONE and job.counts is not None:
            base = f"{API_PATH}/jobs/{job.id}/results"
            body["results"] = {
                "probabilities": {"url": f"{base}/probabilities"},
                "histogram": {"url": f"{base}/histogram"},
            }
            if job.partial:
                returned = job.shots_returned or 0
                body["warning"] = {
                    "messages": [f"partial result: {returned} of {job.shots} shots were run"]
                }
        if job.status in (JobStatus.ERROR, JobStatus.CANCELLED) and job.error:
            body["failure"] = {"code": job.error_code or "InternalError", "error": job.error}
        return body

    # -- results and cancel --------------------------------------------------------

    def _counts(self, request: web.Request) -> tuple[BackendJob, dict[str, int]]:
        job = self.api.job(request)
        with refusals_as_api_errors():
            self.cloud.job_service.require_result(job)
        if job.counts is None:  # a primitive job submitted through another protocol
            raise ApiError(400, "not_a_circuit_job", "fetch this job's result where it came from")
        states: dict[int, int] = {}
        for bits, n in job.counts.items():
            value = int(bits.replace(" ", ""), 2)
            states[value] = states.get(value, 0) + n
        return job, {str(k): states[k] for k in sorted(states)}

    async def probabilities(self, request: web.Request) -> web.Response:
        _, counts = self._counts(request)
        total = sum(counts.values()) or 1
        return self.api.json({k: n / total for k, n in counts.items()})

    async def histogram(self, request: web.Request) -> web.Response:
        _, counts = self._counts(request)
        return self.api.json(counts)

    async def cancel(self, request: web.Request) -> web.Response:
        job = self.api.job(request)
        if not job.status.final:
            with refusals_as_api_errors():
                self.cloud.job_service.cancel(job)
        return self.api.json({"id": job.id, "status": STATES[job.status]})
