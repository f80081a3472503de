"""One fake quantum cloud: a device, its queue, auth, fault switches and HTTP API.

>>> spec = BackendSpec(name="manila", device="FakeManilaV2")
>>> async with AerExecutor() as ex, FakeCloud(spec, clock=clock, executor=ex).running() as cloud:
...     print(cloud.url)                                           # doctest: +SKIP
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Self

from aiohttp import web

from fake_backends.aio import background, serve_app
from fake_backends.api import NativeApi, json_errors
from fake_backends.auth import TokenStore
from fake_backends.clock import Clock
from fake_backends.control import BackendControl, EventSink
from fake_backends.executor import AerExecutor
from fake_backends.queue import BackendJob, JobQueue, ServiceTime

__all__ = ["BackendSpec", "FakeCloud"]

MAX_BODY_BYTES = 1 << 20


def _ignore(_type: str, _data: dict[str, Any]) -> None:
    return None


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """How one fake backend behaves. Times are scenario seconds."""

    name: str
    device: str = "FakeManilaV2"
    slots: int = 2
    service_time: ServiceTime = field(default_factory=lambda: ServiceTime(2.0, 0.001))
    max_depth: int = 500
    token_ttl: float = 3600.0
    max_shots: int = 100_000
    api_keys: Mapping[str, str] = field(default_factory=dict)

    def keys(self) -> dict[str, str]:
        """API key -> tenant; defaults to one key ``key-<name>`` for tenant ``orchestrator``."""
        return dict(self.api_keys) or {f"key-{self.name}": "orchestrator"}


class FakeCloud:
    """State and lifecycle of one fake backend server (see :meth:`running`)."""

    def __init__(
        self,
        spec: BackendSpec,
        *,
        clock: Clock,
        executor: AerExecutor,
        on_event: EventSink | None = None,
        seed: int = 0,
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.executor = executor
        self.emit: EventSink = on_event or _ignore
        self.seed = seed
        self.tokens = TokenStore(clock, spec.keys(), ttl=spec.token_ttl, seed=seed)
        self.control = BackendControl(spec.name, self.tokens, self.emit)
        self.queue = JobQueue(
            backend=spec.name,
            device=spec.device,
            clock=clock,
            executor=executor,
            on_event=self.emit,
            slots=spec.slots,
            service_time=spec.service_time,
            max_depth=spec.max_depth,
        )
        self.jobs: dict[str, BackendJob] = {}
        self.by_idempotency_key: dict[tuple[str, str], BackendJob] = {}
        self.device_info: dict[str, Any] = {}
        self.url = ""
        self._rng = random.Random(seed)
        self._epoch = datetime.now(UTC)

    @property
    def name(self) -> str:
        return self.spec.name

    def new_job_id(self) -> str:
        return f"{self.spec.name}-{self._rng.getrandbits(48):012x}"

    def timestamp(self, scenario_s: float | None) -> str | None:
        """ISO time of a scenario instant (run start + scenario seconds)."""
        if scenario_s is None:
            return None
        return (self._epoch + timedelta(seconds=scenario_s)).isoformat()

    def app(self) -> web.Application:
        """The aiohttp application serving this cloud's native API."""
        app = web.Application(middlewares=[json_errors], client_max_size=MAX_BODY_BYTES)
        NativeApi(self).register(app.router)
        return app

    @asynccontextmanager
    async def running(self, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[Self]:
        """Load the device, serve the API and dispatch the queue until the block ends."""
        self.device_info = await self.executor.describe(self.spec.device)
        async with serve_app(self.app(), host, port) as url, background(self.queue.run()):
            self.url = url
            self.emit(
                "backend.started", {"backend": self.name, "url": url, "device": self.spec.device}
            )
            yield self
