"""The native JSON API of a fake cloud (documented in README, "Native API").

=======  ==================================  ============================================
method   path                                what
=======  ==================================  ============================================
POST     /v1/auth/token                      ``{"api_key"}`` -> bearer access token + TTL
GET      /v1/backends                        devices, status, queue depth
GET      /v1/backends/{name}/properties      calibration: T1, T2, readout, gate errors
POST     /v1/jobs                            submit a circuit (qasm3, qasm2 or qpy)
GET      /v1/jobs/{id}                       status, queue position
GET      /v1/jobs/{id}/result                counts (409 until the job is DONE)
DELETE   /v1/jobs/{id}                       cancel a queued job
GET      /healthz                            liveness, no auth
=======  ==================================  ============================================

Every endpoint but the token and health endpoints needs ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from fake_backends.api.errors import ApiError, field, read_json_object
from fake_backends.auth import AuthError
from fake_backends.executor import CircuitRejected
from fake_backends.queue import BackendJob, JobStatus, QueueFull

if TYPE_CHECKING:
    from fake_backends.cloud import FakeCloud

__all__ = ["NativeApi"]

FORMATS = ("qasm3", "qasm2", "qpy")
MAX_CIRCUIT_CHARS = 256 * 1024
MAX_KEY_CHARS = 256


class NativeApi:
    """Request handlers bound to one :class:`~fake_backends.cloud.FakeCloud`."""

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/auth/token", self.issue_token)
        router.add_get("/v1/backends", self.list_backends)
        router.add_get("/v1/backends/{name}/properties", self.properties)
        router.add_post("/v1/jobs", self.submit)
        router.add_get("/v1/jobs/{id}", self.status)
        router.add_get("/v1/jobs/{id}/result", self.result)
        router.add_delete("/v1/jobs/{id}", self.cancel)
        router.add_get("/healthz", self.health)

    # -- auth ------------------------------------------------------------------

    async def issue_token(self, request: web.Request) -> web.Response:
        failing = self.cloud.control.token_endpoint_status
        if failing is not None:
            raise ApiError(failing, "auth_unavailable", "token service unavailable")
        body = await read_json_object(request)
        api_key = field(body, "api_key", str)
        try:
            token = self.cloud.tokens.issue(api_key)
        except AuthError as exc:
            raise ApiError(401, exc.code, str(exc)) from None
        return web.json_response(
            {
                "access_token": token.value,
                "token_type": "Bearer",
                "expires_in": token.expires_at - token.issued_at,
                "tenant": token.tenant,
            }
        )

    def _tenant(self, request: web.Request) -> str:
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise ApiError(
                401, "missing_token", "send Authorization: Bearer <token>", headers=_CHALLENGE
            )
        try:
            return self.cloud.tokens.check(value.strip())
        except AuthError as exc:
            self.cloud.emit(
                "backend.auth_rejected", {"backend": self.cloud.name, "reason": exc.code}
            )
            raise ApiError(401, exc.code, str(exc), headers=_CHALLENGE) from None

    # -- backends --------------------------------------------------------------

    async def list_backends(self, request: web.Request) -> web.Response:
        self._tenant(request)
        cloud = self.cloud
        info = cloud.device_info
        return web.json_response(
            {
                "backends": [
                    {
                        "name": cloud.name,
                        "device": cloud.spec.device,
                        "num_qubits": info.get("num_qubits"),
                        "status": "online",
                        "queue_depth": cloud.queue.depth,
                        "running": cloud.queue.running,
                        "basis_gates": info.get("basis_gates", []),
                    }
                ]
            }
        )

    async def properties(self, request: web.Request) -> web.Response:
        self._tenant(request)
        self._backend(request.match_info["name"])
        info = self.cloud.device_info
        return web.json_response(
            {
                "backend": self.cloud.name,
                "device": self.cloud.spec.device,
                "version": self.cloud.queue.calibration_version,
                "last_update": info.get("last_update"),
                "qubits": info.get("qubits", []),
                "gates": info.get("gates", []),
            }
        )

    def _backend(self, name: str | None) -> None:
        if name is not None and name != self.cloud.name:
            raise ApiError(404, "backend_not_found", f"no backend named {name!r}")

    # -- jobs ------------------------------------------------------------------

    async def submit(self, request: web.Request) -> web.Response:
        tenant = self._tenant(request)
        body = await read_json_object(request)
        self._backend(field(body, "backend", str, required=False))
        source = field(body, "circuit", str)
        fmt = field(body, "format", str, required=False) or "qasm3"
        shots = field(body, "shots", int)
        key = field(body, "idempotency_key", str, required=False)
        tags = field(body, "tags", list, required=False) or []
        self._check_submission(source, fmt, shots, key, tags)
        if key is not None and (existing := self.cloud.by_idempotency_key.get((tenant, key))):
            return self._replay(existing)
        try:
            prepared = await self.cloud.executor.prepare(
                self.cloud.spec.device, fmt, source, seed=self.cloud.seed
            )
        except CircuitRejected as exc:
            raise ApiError(400, "invalid_circuit", str(exc)) from None
        if key is not None and (existing := self.cloud.by_idempotency_key.get((tenant, key))):
            return self._replay(existing)  # a concurrent submit with the same key won
        job = BackendJob(
            id=self.cloud.new_job_id(),
            tenant=tenant,
            device=self.cloud.spec.device,
            shots=shots,
            circuit=prepared,
            created_at=self.cloud.clock.now(),
            idempotency_key=key,
            tags=tuple(tags),
        )
        try:
            self.cloud.queue.submit(job)
        except QueueFull as exc:
            retry = max(1, round(self.cloud.clock.to_wall(exc.retry_after)))
            raise ApiError(
                429, "queue_full", str(exc), headers={"Retry-After": str(retry)}
            ) from None
        self.cloud.jobs[job.id] = job
        if key is not None:
            self.cloud.by_idempotency_key[(tenant, key)] = job
        self.cloud.emit(
            "backend.job_submitted",
            {"backend": self.cloud.name, "job": job.id, "idempotency_key": key, "shots": shots},
        )
        return web.json_response(self._job_json(job), status=201)

    def _check_submission(
        self, source: str, fmt: str, shots: int, key: str | None, tags: list[Any]
    ) -> None:
        if fmt not in FORMATS:
            raise ApiError(
                400, "invalid_field", f"format: expected one of {FORMATS}, found {fmt!r}"
            )
        if len(source) > MAX_CIRCUIT_CHARS:
            raise ApiError(413, "circuit_too_large", f"circuit over {MAX_CIRCUIT_CHARS} characters")
        if not 1 <= shots <= self.cloud.spec.max_shots:
            raise ApiError(
                400,
                "invalid_field",
                f"shots: expected 1..{self.cloud.spec.max_shots}, found {shots}",
            )
        if key is not None and not 0 < len(key) <= MAX_KEY_CHARS:
            raise ApiError(400, "invalid_field", f"idempotency_key: 1..{MAX_KEY_CHARS} characters")
        if not all(isinstance(t, str) for t in tags):
            raise ApiError(400, "invalid_field", "tags: expected a list of strings")

    def _replay(self, job: BackendJob) -> web.Response:
        return web.json_response(
            self._job_json(job), status=200, headers={"Idempotent-Replayed": "true"}
        )

    def _job(self, request: web.Request) -> BackendJob:
        tenant = self._tenant(request)
        job = self.cloud.jobs.get(request.match_info["id"])
        if job is None or job.tenant != tenant:
            raise ApiError(404, "job_not_found", f"no job {request.match_info['id']!r}")
        return job

    async def status(self, request: web.Request) -> web.Response:
        return web.json_response(self._job_json(self._job(request)))

    async def result(self, request: web.Request) -> web.Response:
        job = self._job(request)
        if job.status is JobStatus.DONE and job.counts is not None:
            return web.json_response(
                {"id": job.id, "status": job.status.value, "shots": job.shots, "counts": job.counts}
            )
        if job.status.final:
            raise ApiError(409, f"job_{job.status.value.lower()}", job.error or "job has no result")
        raise ApiError(409, "job_not_finished", f"job is {job.status.value}")

    async def cancel(self, request: web.Request) -> web.Response:
        job = self._job(request)
        if not self.cloud.queue.cancel(job):
            raise ApiError(409, "job_not_cancellable", f"job is {job.status.value}")
        return web.json_response(self._job_json(job))

    def _job_json(self, job: BackendJob) -> dict[str, Any]:
        ts = self.cloud.timestamp
        return {
            "id": job.id,
            "backend": self.cloud.name,
            "status": job.status.value,
            "shots": job.shots,
            "idempotency_key": job.idempotency_key,
            "tags": list(job.tags),
            "created_at": ts(job.created_at),
            "started_at": ts(job.started_at),
            "finished_at": ts(job.finished_at),
            "queue_position": self.cloud.queue.position(job),
            "error": job.error,
        }

    async def health(self, request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "backend": self.cloud.name})


_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
