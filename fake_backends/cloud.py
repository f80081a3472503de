"""One fake quantum cloud: a device, its calibration, queue, auth, fault switches, jobs.

The state and the rules every protocol shares; serving them over HTTP is
:mod:`fake_backends.server`:

>>> spec = BackendSpec(name="manila", device="FakeManilaV2")
>>> async with AerExecutor() as ex, serve_cloud(FakeCloud(spec, clock=clock, executor=ex)) as cloud:
...     print(cloud.url)                                           # doctest: +SKIP

While it runs, four background tasks live with it (:meth:`FakeCloud.tasks`): the queue's
dispatcher, other tenants' load, the calibration stepper (drift effects applied once per
``calibration_step``) and the scheduled maintenance windows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from fake_backends import records
from fake_backends.api.observe import Observer
from fake_backends.auth import TokenStore
from fake_backends.background import BackgroundLoad
from fake_backends.calibration import Calibration
from fake_backends.configuration import Configuration, ConfigurationState
from fake_backends.control import BackendControl
from fake_backends.drift import CalibrationState
from fake_backends.executor import Isa, PreparedCircuit
from fake_backends.jobs import JobService
from fake_backends.limits import WorkLimits
from fake_backends.queue import BackendJob, JobQueue, Runner
from fake_backends.spec import BackendSpec
from fake_backends.switches import Switches
from plumbing.clock import Clock
from plumbing.records import Event, EventSink
from plumbing.seeds import derive, stream

__all__ = ["FakeCloud", "Simulator"]

MIN_STEP_WALL_S = 1.0
T = TypeVar("T")


class Simulator(Runner, Protocol):
    """What a cloud needs from its simulator: :class:`~fake_backends.executor.AerExecutor`
    (a unit test passes a fake that answers at once). Protocols call their own worker
    modules through ``call_in`` and share repeated decoding through ``memo``."""

    @property
    def batches_run(self) -> int: ...

    @property
    def limits(self) -> WorkLimits:
        """What one circuit may cost (a protocol's own decoding uses them too)."""
        ...

    def batches_of(self, owner: str) -> int: ...

    async def describe(self, device: str) -> dict[str, Any]: ...

    async def warm_noise(self, calibration: Calibration) -> None: ...

    async def prepare(
        self, device: str, fmt: str, source: str, *, seed: int, isa: Isa = None
    ) -> PreparedCircuit: ...

    def healthy(self) -> bool:
        """Able to run work (its workers alive, or brought back): what /healthz says."""
        ...

    async def call_in(
        self, module: str, op: str, *args: Any, deadline: float | None = None
    ) -> Any: ...

    async def memo(self, key: str, make: Callable[[], Awaitable[T]]) -> T: ...


def _ignore(_event: Event[Any]) -> None:
    return None


class FakeCloud:
    """State and rules of one fake backend (served by :func:`fake_backends.server.serve_cloud`)."""

    def __init__(
        self,
        spec: BackendSpec,
        *,
        clock: Clock,
        executor: Simulator,
        on_event: EventSink | None = None,
        seed: int = 0,
    ) -> None:
        self.spec = spec
        self.clock = clock
        self.executor = executor
        #: who else sees every request served (:mod:`fake_backends.api.observe`)
        self.observers: list[Observer] = []
        self.emit: EventSink = on_event or _ignore
        self.seed = seed
        # every purpose draws from its own named stream of the run seed (plumbing.seeds),
        # so one of them drawing more (a busier run) never shifts what another draws
        named = f"backend:{spec.name}"
        self.tokens = TokenStore(
            clock, spec.keys(), ttl=spec.token_ttl, seed=derive(seed, f"{named}:tokens")
        )
        self.switches = Switches()
        empty = Calibration(spec.device, 0, (), ())
        self.calibration = CalibrationState(
            empty, clock, lineage=f"{spec.name}-{seed}", seed=derive(seed, f"{named}:drift")
        )
        self.control = BackendControl(
            spec.name,
            self.tokens,
            self.emit,
            clock=clock,
            switches=self.switches,
            calibration=self.calibration,
            seed=derive(seed, f"{named}:errors"),
        )
        self.queue = JobQueue(
            backend=spec.name,
            clock=clock,
            runner=executor,
            calibration=self.calibration,
            switches=self.switches,
            on_event=self.emit,
            slots=spec.slots,
            service_time=spec.service_time,
            max_depth=spec.max_depth,
            fair_share=spec.fair_share,
            seed=seed,
        )
        self.background = BackgroundLoad(
            spec.background, self.queue, self.switches, clock, seed=seed, name=spec.name
        )
        self.control.attach(self.queue)
        self.job_service = JobService(
            spec,
            clock=clock,
            executor=executor,
            queue=self.queue,
            on_event=self.emit,
            seed=seed,
            ids=stream(seed, f"{named}:ids"),
        )
        self.configuration = ConfigurationState(self.switches)
        self.job_service.isa_target = self._isa_target
        self.device_info: dict[str, Any] = {}
        self.url = ""
        self._epoch = datetime.now(UTC)

    @property
    def name(self) -> str:
        return self.spec.name

    def _isa_target(self) -> Isa:
        """The target submitted circuits must fit (``isa: true``), else None."""
        return self.configuration.current.as_check() if self.spec.isa else None

    @property
    def jobs(self) -> dict[str, BackendJob]:
        """Every client job this cloud accepted, by id (whatever protocol it came by)."""
        return self.job_service.jobs

    def timestamp(self, scenario_s: float | None) -> str | None:
        """ISO time of a scenario instant (run start + scenario seconds)."""
        if scenario_s is None:
            return None
        return (self._epoch + timedelta(seconds=scenario_s)).isoformat()

    def epoch_seconds(self, scenario_s: float) -> float:
        """Unix time of a scenario instant, as :meth:`timestamp` renders it."""
        return self._epoch.timestamp() + scenario_s

    async def load_device(self) -> None:
        """Describe the device in the Aer workers, load its calibration, warm its noise."""
        self.device_info = await self.executor.describe(self.spec.device)
        self.configuration.load(Configuration.of(self.device_info))
        self.calibration.load(Calibration.from_description(self.device_info))
        await self.executor.warm_noise(self.calibration.current)

    def tasks(self) -> tuple[Coroutine[Any, Any, None], ...]:
        """The backend's background work, while it is served (or in a test's own loop)."""
        return (
            self.queue.run(),
            self.background.run(),
            self._calibration_steps(),
            self._maintenance_schedule(),
        )

    async def _calibration_steps(self) -> None:
        # One new calibration version costs each Aer worker a noise-model build and a
        # batch of its own (~0.1-0.3 s): at high time scales a tick is too short for
        # that, so versions live at least MIN_STEP_WALL_S of wall time.
        step = max(self.spec.calibration_step, self.clock.time_scale * MIN_STEP_WALL_S)
        while True:
            await self.clock.sleep(step - self.clock.now() % step)
            if self.calibration.step():
                cal = self.calibration.current
                self.emit(
                    records.CALIBRATION(
                        {
                            "backend": self.name,
                            "version": cal.version,
                            "served": self.calibration.served.version,
                        }
                    )
                )

    async def _maintenance_schedule(self) -> None:
        for i, window in enumerate(sorted(self.spec.maintenance, key=lambda w: w.at)):
            key = f"scheduled-{i + 1}"
            await self.clock.sleep(window.at - self.clock.now())
            try:
                self.control.set_maintenance(key, window.mode)
                await self.clock.sleep(window.end - self.clock.now())
            finally:
                self.control.set_maintenance(key, None)
