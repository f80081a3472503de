from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from fake_backends.api.ibm.settings import client_environment
from fake_backends.api.ionq import settings as ionq_settings
from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from harness.faults import Fault, FaultContext
from harness.netchaos import NetworkLinks, network_links
from plumbing.clock import ScaledClock
from tests.conftest import Events
from tests.integration import ionq_client
from tests.integration.gamedays import SCALED_REFERENCES, GameDays, Played
from tests.integration.ibm_client import client_pool
from tests.integration.protocols import IbmObserver, IonqObserver, NativeObserver, Watched


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


@pytest.fixture(scope="session")
def ibm_pool() -> Iterator[ProcessPoolExecutor]:
    """The child process the real qiskit-ibm-runtime client runs in (see ibm_client)."""
    with client_pool() as pool:
        yield pool


@pytest.fixture(scope="session")
def ionq_pool() -> Iterator[ProcessPoolExecutor]:
    """The child process the real qiskit-ionq client runs in (see ionq_client)."""
    with ionq_client.client_pool() as pool:
        yield pool


@dataclass
class Rig:
    """A fake cloud behind its fault proxy, and a client of one protocol through it."""

    cloud: FakeCloud
    events: Watched
    observer: NativeObserver | IbmObserver | IonqObserver
    net: NetworkLinks

    @property
    def ctx(self) -> FaultContext:
        return FaultContext({self.cloud.name: self.cloud.control}, self.net, self.cloud.clock)

    async def inject(self, fault: Fault) -> None:
        await fault.inject(self.ctx, [self.cloud.name])

    async def revert(self, fault: Fault) -> None:
        await fault.revert(self.ctx, [self.cloud.name])


RigFactory = Callable[..., Any]


@pytest_asyncio.fixture
async def protocol_rig(
    executor: AerExecutor,
    request: pytest.FixtureRequest,
    http: aiohttp.ClientSession,
) -> AsyncIterator[RigFactory]:
    """Start a cloud (real time by default), its fault proxy and a connected client."""
    async with AsyncExitStack() as stack:

        async def start(protocol: str, *, time_scale: float = 1.0, **spec: Any) -> Rig:
            events = Watched()
            spec.setdefault("token_ttl", 1e6)
            spec.setdefault("calibration_step", 0.5)
            cloud = FakeCloud(
                BackendSpec(
                    name="manila", service_time=ServiceTime(spec.pop("per_job", 0.2), 0.0), **spec
                ),
                clock=ScaledClock(time_scale),
                executor=executor,
                on_event=events,
                seed=3,
            )
            await stack.enter_async_context(serve_cloud(cloud))
            net = await stack.enter_async_context(
                network_links({"manila": cloud.url}, toxiproxy_url="")
            )
            base = net.url("manila")
            observer: NativeObserver | IbmObserver | IonqObserver
            if protocol == "native":
                observer = NativeObserver(http, base, "key-manila", "manila")
            elif protocol == "ionq":
                env = ionq_settings.client_environment(base, "key-manila")
                pool = request.getfixturevalue("ionq_pool")
                observer = IonqObserver(pool, env, ionq_settings.backend_name("manila"))
            else:
                ibm_pool = request.getfixturevalue("ibm_pool")
                env = client_environment(base, "key-manila", "manila")
                observer = IbmObserver(ibm_pool, env, "manila")
            connected = await observer.connect()
            assert connected.ok, connected
            return Rig(cloud, events, observer, net)

        yield start


# -- whole game days shared by several tests (tests/integration/gamedays.py) -----------

_GAME_DAYS: GameDays | None = None


def _game_days() -> GameDays:
    global _GAME_DAYS
    if _GAME_DAYS is None:
        _GAME_DAYS = GameDays()
    return _GAME_DAYS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The scaled references are long in wall time but light: start them now, in the
    # background, when a test that compares against them is going to run.
    if any("scaled_references" in getattr(item, "fixturenames", ()) for item in items):
        for key, args in SCALED_REFERENCES.items():
            _game_days().start(key, *args)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _GAME_DAYS is not None:
        _GAME_DAYS.close()


@pytest.fixture(scope="session")
def game_days() -> GameDays:
    """Whole game days, each played once per session and shared by the tests."""
    return _game_days()


@pytest.fixture(scope="session")
def scaled_references(game_days: GameDays) -> dict[str, Played]:
    """token-expiry and network-partition on the scaled clock at 10x (started early)."""
    return {key: game_days.get(key, *args) for key, args in SCALED_REFERENCES.items()}
