"""Embedded targets for a standalone load test: a fake backend, or the reference
orchestrator in front of one, started in this process on 127.0.0.1 (port 0).

``gameday load --embedded reference`` uses this to try a locustfile without deploying
anything; the tests use it too. The scenario clock runs at ``time_scale`` (1 = real
time): a job holds a backend slot for its service time, scaled.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_clouds
from fake_backends.spec import BackendSpec
from plumbing.clock import ScaledClock
from reference_orchestrator import BackendLink, Orchestrator, OrchestratorConfig

__all__ = ["EMBEDDED", "Embedded", "embedded_target"]

EMBEDDED = ("reference", "backend")
DEVICE = "FakeManilaV2"


@dataclass(frozen=True, slots=True)
class Embedded:
    """A started embedded target: its URL, the API key it takes, what it is."""

    url: str
    api_key: str
    description: str


@asynccontextmanager
async def embedded_target(
    kind: Literal["reference", "backend"],
    *,
    time_scale: float = 10.0,
    slots: int = 8,
    workers: int = 1,
    seed: int = 0,
) -> AsyncIterator[Embedded]:
    """Start a fake backend (and the reference orchestrator if ``kind`` is reference)."""
    clock = ScaledClock(time_scale)
    spec = BackendSpec(
        name="manila", device=DEVICE, slots=slots, service_time=ServiceTime(2.0, 0.001)
    )
    key = f"key-{spec.name}"
    async with serve_clouds([spec], clock=clock, seed=seed, workers=workers) as (cloud,):
        what = f"fake backend {spec.name} ({DEVICE}, {slots} slots, {time_scale:g}x)"
        if kind == "backend":
            yield Embedded(cloud.url, key, what)
            return
        cfg = OrchestratorConfig(backends=(BackendLink(spec.name, cloud.url, key),))
        async with Orchestrator(cfg, clock=clock, seed=seed).running() as orch:
            yield Embedded(orch.url, key, f"reference orchestrator -> {what}")
