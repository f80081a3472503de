"""The client the load engines use to call the SUT's job API.

:class:`JobApi` is what the built-in workload needs from it; :class:`SutClient` speaks
the reference contract (``POST /jobs``, ``GET /jobs/{id}``). Every failed call is a
:class:`~harness.errors.SutError` whose ``status`` is 0 when there was no answer.
"""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp

from harness.errors import SutError

__all__ = ["JobApi", "SutClient"]


class JobApi(Protocol):
    """A SUT's job API as the workload uses it; calls raise SutError when they fail."""

    async def submit(
        self, *, circuit: str, shots: int, key: str, tenant: str, fmt: str = "qasm3"
    ) -> str:
        """Submit one job; return the SUT's id for it."""
        ...

    async def status(self, job_id: str) -> dict[str, Any]:
        """The job's state: ``{"state": "completed", "counts": {...}}``, ``failed``, ..."""
        ...


class SutClient:
    """Calls the reference orchestrator API (``POST /jobs``, ``GET /jobs/{id}``)."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, *, timeout: float) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def submit(
        self, *, circuit: str, shots: int, key: str, tenant: str, fmt: str = "qasm3"
    ) -> str:
        body = {
            "circuit": circuit,
            "format": fmt,
            "shots": shots,
            "idempotency_key": key,
            "tenant": tenant,
        }
        data = await self._call("POST", "/jobs", body)
        job_id = data.get("id")
        if not isinstance(job_id, str):
            raise SutError(502, "POST /jobs answered without a job id")
        return job_id

    async def status(self, job_id: str) -> dict[str, Any]:
        return await self._call("GET", f"/jobs/{job_id}", None)

    async def _call(self, method: str, path: str, body: Any) -> dict[str, Any]:
        try:
            async with self._http.request(
                method, self._base + path, json=body, timeout=self._timeout
            ) as resp:
                data = await resp.json(content_type=None)
                if resp.status >= 400:
                    raise SutError(resp.status, str(data)[:200])
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SutError(0, f"{type(exc).__name__}: {exc}") from None
        except ValueError as exc:
            raise SutError(502, f"answer is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SutError(502, "answer is not a JSON object")
        return data
