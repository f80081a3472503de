"""The async client of the native JSON API the fake clouds serve (aiohttp).

Used by the reference orchestrator, the benchmarks and the tests; a Qiskit ``BackendV2``
over the same API is :class:`fake_backends.qiskit_backend.RemoteBackend` (it imports
qiskit, so only users load it). Errors are :class:`~plumbing.http_errors.ApiCallError`.

It is deliberately thin: token handling is left to the caller, because how a system
under test refreshes (or fails to refresh) its tokens is exactly what a game day tests.

>>> async with aiohttp.ClientSession() as http:                       # doctest: +SKIP
...     api = NativeClient(http, "http://127.0.0.1:41234")
...     token = (await api.authenticate("key-manila"))["access_token"]
...     job = await api.submit(token, circuit=GHZ_QASM, shots=1024, idempotency_key="j-1")
"""

from __future__ import annotations

from typing import Any

import aiohttp

from plumbing.http_errors import call_error
from plumbing.json_call import JsonApi

__all__ = ["NativeClient"]


class NativeClient:
    """Calls the native API at ``base_url`` through a caller-owned aiohttp session."""

    def __init__(
        self, http: aiohttp.ClientSession, base_url: str, *, timeout: float = 10.0
    ) -> None:
        self.base_url = base_url.rstrip("/")
        limit = aiohttp.ClientTimeout(total=timeout)
        self._api = JsonApi(http, self.base_url, "Bearer", call_error, limit)

    async def authenticate(self, api_key: str) -> dict[str, Any]:
        """Trade an API key for ``{"access_token", "expires_in", ...}``."""
        return await self._api.call(
            "POST", "/v1/auth/token", None, json={"api_key": api_key}, needs=("access_token",)
        )

    async def backends(self, token: str) -> list[dict[str, Any]]:
        body = await self._api.call("GET", "/v1/backends", token, needs=("backends",))
        return list(body["backends"])

    async def properties(self, token: str, backend: str) -> dict[str, Any]:
        return await self._api.call("GET", f"/v1/backends/{backend}/properties", token)

    async def submit(
        self,
        token: str,
        *,
        circuit: str,
        shots: int,
        fmt: str = "qasm3",
        idempotency_key: str | None = None,
        backend: str | None = None,
        tags: list[str] | None = None,
        priority: int | None = None,
        memory: bool = False,
    ) -> dict[str, Any]:
        """Submit one circuit; returns the job record (``id``, ``status``, ...)."""
        payload: dict[str, Any] = {"circuit": circuit, "format": fmt, "shots": shots}
        if priority is not None:
            payload["priority"] = priority
        if memory:
            payload["memory"] = True
        if idempotency_key is not None:
            payload["idempotency_key"] = idempotency_key
        if backend is not None:
            payload["backend"] = backend
        if tags:
            payload["tags"] = tags
        return await self._api.call("POST", "/v1/jobs", token, json=payload, needs=("id",))

    async def job(self, token: str, job_id: str) -> dict[str, Any]:
        return await self._api.call("GET", f"/v1/jobs/{job_id}", token, needs=("status",))

    async def result(self, token: str, job_id: str) -> dict[str, Any]:
        return await self._api.call("GET", f"/v1/jobs/{job_id}/result", token, needs=("counts",))

    async def cancel(self, token: str, job_id: str) -> dict[str, Any]:
        return await self._api.call("DELETE", f"/v1/jobs/{job_id}", token)

    async def health(self) -> dict[str, Any]:
        """``GET /healthz`` (no auth): a cheap liveness probe."""
        return await self._api.call("GET", "/healthz", None)
