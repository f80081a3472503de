from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import aiohttp
import pytest_asyncio

from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from plumbing.clock import ScaledClock
from tests.conftest import Events


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


CloudFactory = Callable[..., Any]


@pytest_asyncio.fixture
async def start_cloud(executor: AerExecutor) -> AsyncIterator[CloudFactory]:
    """Start fake clouds (real aiohttp servers on 127.0.0.1:0) for one test."""
    async with AsyncExitStack() as stack:

        async def start(
            *, time_scale: float = 200.0, per_job: float = 2.0, **spec: Any
        ) -> tuple[FakeCloud, Events]:
            events = Events()
            cloud = FakeCloud(
                BackendSpec(
                    name=spec.pop("name", "manila"),
                    service_time=ServiceTime(per_job, 0.0),
                    **spec,
                ),
                clock=ScaledClock(time_scale),
                executor=executor,
                on_event=events,
                seed=3,
            )
            await stack.enter_async_context(serve_cloud(cloud))
            return cloud, events

        yield start
