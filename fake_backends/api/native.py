"""The native JSON API of a fake cloud (README "The fake backends' native API";
the contract is ``fake_backends/api/openapi.yaml``, served at ``/openapi.yaml``).

=======  ==================================  ============================================
method   path                                what
=======  ==================================  ============================================
POST     /v1/auth/token                      ``{"api_key"}`` -> bearer access token + TTL
GET      /v1/backends                        device, status, queue depth, calibration
GET      /v1/backends/{name}/properties      calibration: T1, T2, readout, gate errors
POST     /v1/jobs                            submit a circuit (qasm3, qasm2 or qpy)
GET      /v1/jobs/{id}                       status, queue position, estimated start
GET      /v1/jobs/{id}/result                counts (409 until the job is DONE)
DELETE   /v1/jobs/{id}                       cancel a queued job
GET      /healthz                            liveness, no auth
GET      /metrics                            Prometheus text format, no auth
=======  ==================================  ============================================

Every endpoint but token, health, metrics and the OpenAPI file needs
``Authorization: Bearer <token>``. Route names are the endpoint kinds faults target.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from aiohttp import web

from fake_backends import records
from fake_backends.api.middleware import refusals_as_api_errors
from fake_backends.cloud import FakeCloud
from fake_backends.errors import AuthError
from fake_backends.jobs import JobBodies, JobRequest
from fake_backends.queue import BackendJob
from fake_backends.switches import SchemaChange
from plumbing.http_errors import ApiError, field, read_json_object

__all__ = ["NativeApi"]

FORMATS = ("qasm3", "qasm2", "qpy")


class NativeApi:
    """Request handlers bound to one :class:`~fake_backends.cloud.FakeCloud`."""

    def __init__(self, cloud: FakeCloud) -> None:
        self.cloud = cloud
        self._properties: tuple[tuple[str, float], bytes] | None = None
        self._bodies = JobBodies(cloud.job_service, self._build_job_json, str.upper)

    def register(self, router: web.UrlDispatcher) -> None:
        router.add_post("/v1/auth/token", self.issue_token, name="token")
        router.add_get("/v1/backends", self.list_backends, name="backends")
        router.add_get("/v1/backends/{name}/properties", self.properties, name="properties")
        router.add_post("/v1/jobs", self.submit, name="submit")
        router.add_get("/v1/jobs/{id}", self.status, name="status")
        router.add_get("/v1/jobs/{id}/result", self.result, name="result")
        router.add_delete("/v1/jobs/{id}", self.cancel, name="cancel")
        router.add_get("/healthz", self.health, name="health")
        router.add_get("/openapi.yaml", self.openapi, name="openapi")

    def _json(self, body: dict[str, Any], status: int = 200, **kw: Any) -> web.Response:
        schema = self.cloud.switches.get(SchemaChange)
        if schema is not None:
            body = {schema.renames.get(k, k): v for k, v in body.items()}
        return web.json_response(body, status=status, **kw)

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
            self.cloud.emit(records.AUTH_REJECTED({"backend": self.cloud.name, "reason": exc.code}))
            raise ApiError(401, exc.code, str(exc)) from None
        return self._json(
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
            self.cloud.emit(records.AUTH_REJECTED({"backend": self.cloud.name, "reason": exc.code}))
            raise ApiError(401, exc.code, str(exc), headers=_CHALLENGE) from None

    # -- backends --------------------------------------------------------------

    async def list_backends(self, request: web.Request) -> web.Response:
        self._tenant(request)
        cloud = self.cloud
        info = cloud.device_info
        cal = cloud.calibration
        config = cloud.configuration.current
        row = {
            "name": cloud.name,
            "device": cloud.spec.device,
            "num_qubits": info.get("num_qubits"),
            "status": cloud.switches.status,
            "queue_depth": cloud.queue.depth,
            "running": cloud.queue.running,
            "slots": cloud.queue.slots,
            "max_shots": cloud.spec.max_shots,
            "max_qubits": cloud.spec.max_qubits,
            "basis_gates": list(config.basis_gates),
            "coupling_map": [list(edge) for edge in config.coupling_map],
            "configuration_version": config.version,
            "isa_required": cloud.spec.isa,
            "calibration_version": cal.served.version,
            "last_update": cloud.timestamp(cal.last_update),
            "maintenance": [
                {"start": cloud.timestamp(w.at), "end": cloud.timestamp(w.end), "mode": w.mode}
                for w in cloud.spec.maintenance
                if w.end > cloud.clock.now()
            ],
        }
        return self._json({"backends": [row]})

    async def properties(self, request: web.Request) -> web.Response:
        self._tenant(request)
        self._backend(request.match_info["name"])
        cal = self.cloud.calibration
        key = (cal.served.id, cal.last_update)
        if self._properties is None or self._properties[0] != key:
            served = cal.served
            body = {
                "backend": self.cloud.name,
                "device": self.cloud.spec.device,
                "version": served.version,
                "last_update": self.cloud.timestamp(cal.last_update),
                "snapshot_date": served.snapshot_date,
                "qubits": served.qubits_json(),
                "gates": served.gates_json(),
            }
            self._properties = (key, json.dumps(body).encode())
        return web.Response(body=self._properties[1], content_type="application/json")

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
        priority = field(body, "priority", int, required=False) or 0
        memory = field(body, "memory", bool, required=False) or False
        if fmt not in FORMATS:
            raise ApiError(
                400, "invalid_field", f"format: expected one of {FORMATS}, found {fmt!r}"
            )
        if not source.strip():
            raise ApiError(400, "invalid_circuit", "circuit is empty")
        service = self.cloud.job_service
        with refusals_as_api_errors():
            service.check_limits(
                chars=len(source), shots=shots, key=key, tags=tags, priority=priority
            )
            job_request = JobRequest(
                tenant, shots, key, tags=tuple(tags), priority=priority, memory=memory
            )
            accepted = await service.submit(
                job_request, prepare=lambda: service.prepare_circuit(fmt, source)
            )
        body = self._bodies.get(accepted.job)
        if accepted.replayed:
            return self._json(body, headers={"Idempotent-Replayed": "true"})
        return self._json(body, status=201)

    def _job(self, request: web.Request) -> BackendJob:
        tenant = self._tenant(request)
        with refusals_as_api_errors():
            return self.cloud.job_service.lookup(tenant, request.match_info["id"])

    async def status(self, request: web.Request) -> web.Response:
        return self._json(self._bodies.get(self._job(request)))

    async def result(self, request: web.Request) -> web.Response:
        job = self._job(request)
        with refusals_as_api_errors():
            self.cloud.job_service.require_result(job)
        if job.counts is None:  # a primitive job submitted through another protocol
            raise ApiError(409, "not_a_circuit_job", "fetch this job's result where it came from")
        body: dict[str, Any] = {
            "id": job.id,
            "status": job.status.value,
            "shots": job.shots_returned if job.partial else job.shots,
            "counts": job.counts,
            "partial": job.partial,
            "calibration_version": job.calibration_version,
            "executed_on": job.executed_on,
        }
        if job.partial:
            body["requested_shots"] = job.shots
        if job.memory_out is not None:
            body["memory"] = list(job.memory_out)
        return self._json(body)

    async def cancel(self, request: web.Request) -> web.Response:
        job = self._job(request)
        with refusals_as_api_errors():
            self.cloud.job_service.cancel(job)
        return self._json(self._bodies.get(job))

    def _build_job_json(self, job: BackendJob) -> dict[str, Any]:
        ts = self.cloud.timestamp
        position, start = self.cloud.queue.position(job)
        return {
            "id": job.id,
            "backend": self.cloud.name,
            "status": job.status.value,
            "shots": job.shots,
            "priority": job.priority,
            "idempotency_key": job.idempotency_key,
            "tags": list(job.tags),
            "created_at": ts(job.created_at),
            "started_at": ts(job.started_at),
            "finished_at": ts(job.finished_at),
            "queue_position": position,
            "estimated_start": ts(start),
            "error": job.error,
            "error_code": job.error_code,
        }

    async def health(self, request: web.Request) -> web.Response:
        if not self.cloud.executor.healthy():  # replaces dead idle workers first
            body = {"status": "degraded", "backend": self.cloud.name, "reason": "Aer workers down"}
            return web.json_response(body, status=503)
        return web.json_response({"status": "ok", "backend": self.cloud.name})

    async def openapi(self, request: web.Request) -> web.Response:
        text = resources.files("fake_backends.api").joinpath("openapi.yaml").read_text("utf-8")
        return web.Response(text=text, content_type="application/yaml")


_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
