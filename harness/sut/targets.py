"""Targets: how a game day starts (or reaches) its system under test (SUT).

A target starts (or reaches) a SUT wired to the fake backends and the alert webhook
(:class:`~harness.sut.wiring.Wiring`) and yields its base URL. Kinds:

- ``reference``: the embedded reference orchestrator, in process, on the scenario clock;
- ``http``: an orchestrator already running at ``url``, started by hand with the wiring
  ``gameday env`` prints. It keeps its own timers: ``time_scale: 1`` only;
- ``command``: the harness starts it (:mod:`harness.sut.command`), under libfaketime at
  the scenario's time scale.

A SUT that cannot be reached or started is a configuration error (:class:`TargetError`
before the run starts: exit 3), never a harness error.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Literal, Protocol

from harness.errors import ConfigError, TargetError
from harness.journal.store import Journal
from harness.sut.api import REFERENCE, JobApi, MappedApi, load_adapter
from harness.sut.command import CommandTarget, SutHandle, wait_until_ready
from harness.sut.config import TargetConfig
from harness.sut.wiring import Wiring
from plumbing.clock import Clock, VirtualClock
from plumbing.seeds import derive
from reference_orchestrator import AlertRule, BackendLink, Orchestrator, OrchestratorConfig

__all__ = ["Target", "job_api", "make_target"]


class Target(Protocol):
    """Starts or reaches a SUT; ``running`` yields its base URL.

    ``sut_clock`` says which clock the SUT runs on (for the report); ``handle`` is set for
    a SUT whose process faults can act on (``command``), else None.
    """

    description: str
    admin_token: str | None  # what the runbook's actions send the SUT's admin API, if any
    sut_clock: str
    handle: SutHandle | None

    def running(self, wiring: Wiring) -> AbstractAsyncContextManager[str]: ...


class ReferenceTarget:
    """The embedded reference orchestrator."""

    def __init__(self, config: TargetConfig, clock: Clock, seed: int) -> None:
        self.config = config
        self.clock = clock
        self.seed = seed
        refresh = "with" if config.token_refresh else "WITHOUT"
        self.description = f"reference orchestrator ({refresh} token refresh)"
        self.admin_token: str | None = secrets.token_urlsafe(24)  # per run, never journalled
        pace = "virtual" if isinstance(clock, VirtualClock) else f"{clock.time_scale:g}x"
        self.sut_clock = f"the scenario clock, in process ({pace})"
        self.handle: SutHandle | None = None

    @asynccontextmanager
    async def running(self, wiring: Wiring) -> AsyncIterator[str]:
        cfg = OrchestratorConfig(
            backends=tuple(
                BackendLink(b.name, b.url, b.api_key, _protocol(self.config, b.name))
                for b in wiring.backends
            ),
            token_refresh=self.config.token_refresh,
            poll_interval=self.config.poll_interval,
            events_url=wiring.events_url,
            admin_token=self.admin_token,
            instance=f"{derive(self.seed, 'sut:instance') & 0xFFFFFFFF:08x}",
            behaviour=self.config.behaviour,
            alert=AlertRule(
                webhook_url=wiring.webhook_url if self.config.alert_enabled else None,
                threshold=self.config.alert_threshold,
                window=self.config.alert_window,
                min_events=self.config.alert_min_events,
                keep_firing_for=self.config.alert_keep_firing_for,
                send_resolved=self.config.alert_send_resolved,
                retry_delivery=self.config.alert_retry_delivery,
            ),
        )
        async with Orchestrator(cfg, clock=self.clock, seed=self.seed).running() as orch:
            yield orch.url


class HttpTarget:
    """An orchestrator already running at a URL."""

    def __init__(self, config: TargetConfig) -> None:
        assert config.url is not None
        self.config = config
        self.url = config.url.rstrip("/")
        self.description = f"external orchestrator at {self.url}"
        self.admin_token: str | None = None
        self.sut_clock = "its own (real time, started by hand)"
        self.handle: SutHandle | None = None

    @asynccontextmanager
    async def running(self, wiring: Wiring) -> AsyncIterator[str]:
        try:
            await wait_until_ready(self.url + self.config.ready_path, self.config.ready_timeout)
        except TargetError as exc:
            raise TargetError(
                f"cannot reach the SUT at {self.url}: {exc}. Start it first, wired with "
                '`gameday env SCENARIO` (see README "Test your own orchestrator")'
            ) from None
        yield self.url


def make_target(
    config: TargetConfig,
    clock: Clock,
    seed: int,
    *,
    journal: Journal,
    scenario_dir: Path,
) -> Target:
    """The target of a scenario's ``target:`` section (files of a ``command`` SUT go to
    the journal's folder, the run folder)."""
    if config.kind == "http":
        return HttpTarget(config)
    if config.kind == "command":
        return CommandTarget(
            config,
            time_scale=clock.time_scale,
            journal=journal,
            scenario_dir=scenario_dir,
        )
    return ReferenceTarget(config, clock, seed)


def job_api(config: TargetConfig, scenario_dir: Path | None) -> JobApi:
    """The SUT's job API: the reference one, the scenario's ``api:`` mapping or adapter."""
    if config.adapter is not None:
        try:
            return load_adapter(config.adapter, scenario_dir)()
        except ValueError as exc:
            raise ConfigError(f"target.adapter: {exc}") from None
    return MappedApi(config.api or REFERENCE)


def _protocol(config: TargetConfig, backend: str) -> Literal["native", "ionq"]:
    return "ionq" if config.protocols.get(backend) == "ionq" else "native"
