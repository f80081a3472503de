"""Targets: how a game day starts (or reaches) its system under test (SUT).

A target starts (or reaches) a SUT wired to the fake backends and the alert webhook and
yields its base URL. Kinds:

- ``reference``: the embedded reference orchestrator, in process, on the scenario clock;
- ``http``: an orchestrator already running at ``url`` that speaks the reference API
  (``POST /jobs``, ``GET /jobs/{id}``). It keeps its own timers, so run it at
  ``time_scale: 1`` and give backends fixed ``port``s it can be configured with.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import aiohttp

from harness.errors import TargetError
from harness.sut.config import TargetConfig
from plumbing.clock import Clock
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig

__all__ = ["BackendEndpoint", "Target", "make_target"]


@dataclass(frozen=True, slots=True)
class BackendEndpoint:
    """Where the SUT reaches one fake backend, and the API key it uses."""

    name: str
    url: str
    api_key: str


class Target(Protocol):
    """Starts or reaches a SUT; ``running`` yields its base URL."""

    description: str
    admin_token: str | None  # what the runbook's actions send the SUT's admin API, if any

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
        self.admin_token: str | None = secrets.token_urlsafe(24)  # per run, never journalled

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
            admin_token=self.admin_token,
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
        self.admin_token: str | None = None

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
