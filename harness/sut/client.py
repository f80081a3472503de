"""The client the built-in load engine uses to call the SUT's job API.

The API is a :class:`~harness.sut.api.JobApi` (the reference contract unless the
scenario's target gives an ``api:`` mapping or an adapter); every failed call is a
:class:`~harness.errors.SutError` whose ``status`` is 0 when there was no answer.
"""

from __future__ import annotations

from typing import Any, Protocol

import aiohttp

from harness.errors import SutError
from harness.sut.api import HttpCall, JobApi, JobRequest, JobState, MappedApi

__all__ = ["SutCalls", "SutClient"]


class SutCalls(Protocol):
    """The two calls the built-in workload makes (:class:`SutClient`, or a fake in unit
    tests); they raise SutError when they fail."""

    async def submit(
        self, *, circuit: str, shots: int, key: str, tenant: str, fmt: str = "qasm3"
    ) -> str:
        """Submit one job; return the SUT's id for it."""
        ...

    async def status(self, job_id: str) -> JobState:
        """The job's state: pending, completed (with counts) or failed (with an error)."""
        ...


class SutClient:
    """Calls the SUT's job API (the reference one unless ``api`` says otherwise)."""

    def __init__(
        self,
        http: aiohttp.ClientSession,
        base_url: str,
        *,
        timeout: float,
        api: JobApi | None = None,
    ) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self.api: JobApi = api if api is not None else MappedApi()

    async def submit(
        self, *, circuit: str, shots: int, key: str, tenant: str, fmt: str = "qasm3"
    ) -> str:
        call = self.api.submit_call(JobRequest(circuit, shots, key, tenant, fmt))
        data = await self._call(call)
        job_id = self.api.job_id(data)
        if job_id is None:
            raise SutError(502, f"{call.method} {call.path} answered without a job id")
        return job_id

    async def status(self, job_id: str) -> JobState:
        state = self.api.job_state(await self._call(self.api.status_call(job_id)))
        if state.state == "completed" and state.counts is None:
            result = self.api.result_call(job_id)
            if result is not None:
                counts = self.api.result_counts(await self._call(result))
                return JobState("completed", counts, raw=state.raw)
        return state

    async def _call(self, call: HttpCall) -> Any:
        try:
            async with self._http.request(
                call.method,
                self._base + call.path,
                json=call.body,
                headers=dict(call.headers) or None,
                timeout=self._timeout,
            ) as resp:
                data = await resp.json(content_type=None)
                if resp.status >= 400:
                    raise SutError(resp.status, str(data)[:200])
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise SutError(0, f"{type(exc).__name__}: {exc}") from None
        except ValueError as exc:
            raise SutError(502, f"answer is not JSON: {exc}") from None
        return data
