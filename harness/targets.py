"""Adapters to the system under test (SUT) and the client the workload uses to call it.

A target starts (or reaches) a SUT wired to the fake backends and the alert webhook and
yields its base URL. Kinds:

- ``reference``: the embedded reference orchestrator, in process, on the scenario clock;
- ``http``: an orchestrator already running at ``url`` that speaks the reference API
  (``POST /jobs``, ``GET /jobs/{id}``). It keeps its own timers, so run it at
  ``time_scale: 1`` and give backends fixed ``port``s it can be configured with.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from harness.clock import Clock
from harness.errors import TargetError
from harness.scenario import TargetConfig
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig

__all__ = ["BackendEndpoint", "SutClient", "SutError", "Target", "make_target"]


@dataclass(frozen=True, slots=True)
class BackendEndpoint:
    """Where the SUT reaches one fake backend, and the API key it uses."""

    name: str
    url: str
    api_key: str


class Target(Protocol):
    """Starts or reaches a SUT; ``running`` yields its base URL."""

    description: str

    def running(
        self, backends: Sequence[BackendEndpoint], webhook_url: str
    ) -> AbstractAsyncContextManager[str]: ...


class ReferenceTarget:
    """The embedded reference orchestrator."""

    def __init__(self, config: TargetConfig, clock: Clock, seed: int) -> None:
        self.config = config
        self.clock = clock
        self.seed = seed
        refresh = "with" if config.token_refresh else "WITHOUT"
        self.description = f"reference orchestrator ({refresh} token refresh)"

    @asynccontextmanager
    async def running(
        self, backends: Sequence[BackendEndpoint], webhook_url: str
    ) -> AsyncIterator[str]:
        # the harness webhook serves /events (SUT-reported mitigations) next to /alerts
        events_url = webhook_url.removesuffix("/alerts") + "/events"
        cfg = OrchestratorConfig(
            backends=tuple(BackendLink(b.name, b.url, b.api_key) for b in backends),
            token_refresh=self.config.token_refresh,
            poll_interval=self.config.poll_interval,
            events_url=events_url,
            alert=AlertRule(
                webhook_url=webhook_url if self.config.alert_enabled else None,
                threshold=self.config.alert_threshold,
                window=self.config.alert_window,
                min_events=self.config.alert_min_events,
            ),
        )
        async with Orchestrator(cfg, clock=self.clock, seed=self.seed).running() as orch:
            yield orch.url


class HttpTarget:
    """An orchestrator already running at a URL."""

    def __init__(self, config: TargetConfig) -> None:
        assert config.url is not None
        self.url = config.url.rstrip("/")
        self.description = f"external orchestrator at {self.url}"

    @asynccontextmanager
    async def running(
        self, backends: Sequence[BackendEndpoint], webhook_url: str
    ) -> AsyncIterator[str]:
        async with aiohttp.ClientSession() as http:
            try:
                async with http.get(
                    self.url + "/healthz", timeout=aiohttp.ClientTimeout(total=5)
                ) as resp:
                    if resp.status >= 500:
                        raise TargetError(f"{self.url}/healthz answered {resp.status}")
            except (aiohttp.ClientError, TimeoutError) as exc:
                raise TargetError(f"cannot reach the SUT at {self.url}: {exc}") from None
        yield self.url


def make_target(config: TargetConfig, clock: Clock, seed: int) -> Target:
    if config.kind == "http":
        return HttpTarget(config)
    return ReferenceTarget(config, clock, seed)


class SutError(Exception):
    """A SUT call failed: ``status`` is the HTTP status, or 0 when there was no answer."""

    def __init__(self, status: int, message: str) -> None:
        self.status = status
        super().__init__(f"{status or 'no answer'}: {message}")


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
