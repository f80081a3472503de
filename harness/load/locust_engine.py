"""The Locust engine of a game day (``workload: {engine: locust, ...}``).

Same seam as the built-in :class:`~harness.load.workload.Workload` (``run``, ``counts``,
``stop_submitting``). Locust starts as a subprocess *before* the scenario clock (its
users wait for the harness's go, like every other part that warms up first), then:

- the harness writes the control file: the interval grid (one SLI interval = one
  scenario tick, aligned on scenario time 0), the submit and drain deadlines;
- the plugin's lines are read as they arrive and journalled: ``sli`` lines as
  ``load.sli`` records (scoring turns them into the ``requests`` and
  ``request_latency`` SLIs), job steps as the same ``job.*`` records the built-in
  workload writes (so the ``success``/``latency`` SLIs and the ledger work unchanged);
- at the end of the drain (or once every process says it is drained) Locust is told to
  stop, writes its CSV and HTML reports into ``<run>/locust/``, and its exit code and
  files are journalled (``load.exited``). Locust exits 1 when any request failed: that
  is recorded, not an error; Locust exiting *before* it is told to is (LoadError).

Each record is stamped with the scenario time the event happened in the load process
(wall time converted), not when the harness read it, so records from Locust can be a
little older than the journal line before them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any, cast

from harness.errors import LoadError
from harness.journal.records import (
    JOB_STEPS,
    LOAD_DRAINED,
    LOAD_ENGINE,
    LOAD_EXITED,
    LOAD_READY,
    LOAD_SLI,
    LOAD_STARTED,
    LOAD_STOPPED,
    LoadSli,
)
from harness.journal.records import LoadEngine as LoadEngineRecord
from harness.journal.store import Journal
from harness.load.config import WorkloadConfig
from harness.load.driver import LocustProcess, LocustSpec, free_port
from harness.load.files import resolve_locustfile
from harness.load.seam import WorkloadCounts
from plumbing.clock import Clock

__all__ = ["LocustWorkload"]

log = logging.getLogger(__name__)

POLL_S = 0.05
READY_MARGIN_S = 60.0
RUN_TIME_MARGIN_S = 120.0
_FAILED = {"rejected", "indeterminate", "failed"}
#: the plugin's other line types, as the journal's ``load.*`` records
_LINES = {
    r.name.removeprefix("load."): r for r in (LOAD_READY, LOAD_STARTED, LOAD_DRAINED, LOAD_STOPPED)
}


class LocustWorkload:
    """Drives a scenario's load with Locust users; use :meth:`running`, then :meth:`run`.

    ``tick`` is the scenario tick (one SLI interval), ``horizon`` the scenario time by
    which the load and its drain are over, ``base_dir`` where a relative locustfile is.
    """

    def __init__(
        self,
        config: WorkloadConfig,
        *,
        sut_url: str,
        clock: Clock,
        journal: Journal,
        out_dir: Path,
        seed: int,
        tick: float,
        horizon: float,
        base_dir: Path | None,
        api: Mapping[str, Any] | None = None,
    ) -> None:
        """``api``: the SUT's job API as :func:`harness.sut.api.api_file_data` describes
        it (written to ``api.json`` for ``--qg-api``); None: the reference API."""
        self.config = config
        self._tick = tick
        self._scale = clock.time_scale
        self._clock = clock
        self._journal = journal
        self.out_dir = out_dir
        self._counts: Counter[str] = Counter()
        self._wall0 = time.time()
        self._t0 = 0.0
        self._control: dict[str, Any] = {"started": False}
        self._drained = False
        spec = self._spec(sut_url, seed=seed, horizon=horizon, base_dir=base_dir, api=api)
        self.process = LocustProcess(spec)

    def _spec(
        self,
        sut_url: str,
        *,
        seed: int,
        horizon: float,
        base_dir: Path | None,
        api: Mapping[str, Any] | None,
    ) -> LocustSpec:
        """How Locust is started (the arguments are needed for this only, not kept)."""
        w, scale = self.config, self._scale
        try:
            locustfile = resolve_locustfile(w.locustfile, base_dir)
        except FileNotFoundError as exc:
            raise LoadError(f"workload.locustfile: {exc}") from None
        bound = horizon / scale + w.users / w.spawn_rate + RUN_TIME_MARGIN_S
        options: dict[str, str] = {}
        if api is not None:  # the SUT's own job API: the same one as the built-in
            self.out_dir.mkdir(parents=True, exist_ok=True)
            (self.out_dir / "api.json").write_text(json.dumps(api), encoding="utf-8")
            options["api"] = str(self.out_dir / "api.json")
        return LocustSpec(
            locustfile=locustfile,
            out_dir=self.out_dir,
            host=sut_url,
            users=w.users,
            spawn_rate=w.spawn_rate,
            run_time=bound,  # Locust stops by itself even if we are killed outright
            processes=w.processes,
            sli_interval=self._tick / scale,
            controlled=True,
            master_port=free_port() if w.processes > 1 else 0,
            options={
                "seed": str(seed),
                "run-id": str(seed),
                "circuits": ",".join(w.circuits),
                "shots": str(w.shots),
                "tenants": str(w.tenants),
                "poll-interval": f"{w.poll_interval / scale:.6g}",
                "think-time": f"{w.think_time / scale:.6g}",
                "request-timeout": f"{max(1.0, w.submit_timeout / scale):.6g}",
                **options,
            },
        )

    @property
    def counts(self) -> WorkloadCounts:
        c = self._counts
        done = c["ok"] + c["failed"]
        return WorkloadCounts(c["submitted"], c["ok"], c["failed"], c["submitted"] - done)

    # -- lifecycle --------------------------------------------------------------------

    @asynccontextmanager
    async def running(self) -> AsyncIterator[LocustWorkload]:
        """Start Locust and wait until its users are spawned (they wait for :meth:`run`)."""
        w = self.config
        async with self.process.running():
            engine = LoadEngineRecord(
                engine="locust",
                command=self.process.spec.command(),
                pid=self.process.pid,
                users=w.users,
                processes=w.processes,
                dir=self.out_dir.name,
            )
            self._journal.write(LOAD_ENGINE(engine))
            await self._until_ready(w.users / w.spawn_rate + READY_MARGIN_S)
            yield self

    async def _until_ready(self, within: float) -> None:
        try:
            async with asyncio.timeout(within):
                while True:
                    if any(line["type"] == "ready" for line in self._ingest()):
                        return
                    if self.process.exited:
                        raise self.process.exit_error("while starting")
                    await asyncio.sleep(POLL_S)
        except TimeoutError:
            raise LoadError(
                f"Locust did not spawn its users within {within:.0f}s; its last output:\n"
                f"{self.process.log_tail()}"
            ) from None

    async def run(self, submit_until: float, drain_until: float) -> None:
        """Let the users go; return once the load and the drain are over and Locust stopped."""
        scale = self._scale
        self._wall0, self._t0 = time.time(), self._clock.now()
        self._control = {
            "started": True,
            "origin": self._wall0 - self._t0 / scale,  # wall time of scenario time 0
            "interval": self._tick / scale,
            "submit_until": self._wall(submit_until),
            "drain_until": self._wall(drain_until),
        }
        self.process.write_control(self._control)
        while not self._drained and time.time() < self._control["drain_until"]:
            self._ingest()
            if self.process.exited:
                raise self.process.exit_error("before the end of the load phase")
            await asyncio.sleep(POLL_S)
        code = await self.process.stop()
        self._ingest()
        files = sorted(p.name for p in self.out_dir.iterdir() if p.is_file())
        self._journal.write(LOAD_EXITED({"exit_code": code, "files": files}))

    def stop_submitting(self, drain_until: float | None = None) -> None:
        """Users submit no more jobs; outstanding ones are followed until ``drain_until``."""
        if not self._control.get("started"):
            return
        now = time.time()
        self._control["submit_until"] = min(self._control["submit_until"], now)
        if drain_until is not None:
            self._control["drain_until"] = min(
                self._control["drain_until"], self._wall(drain_until)
            )
        self.process.write_control(self._control)

    # -- lines -> journal -------------------------------------------------------------

    def _wall(self, scenario_t: float) -> float:
        return self._wall0 + (scenario_t - self._t0) / self._scale

    def _scenario(self, wall: float) -> float:
        return self._t0 + (wall - self._wall0) * self._scale

    def _ingest(self) -> list[dict[str, Any]]:
        lines = self.process.read_lines()
        for line in lines:
            kind = line.pop("type")
            if kind == "sli":
                self._sli(line)
            elif kind == "job":
                self._job(line)
            elif (record := _LINES.get(kind)) is not None:
                if record is LOAD_DRAINED:
                    self._drained = True
                wall = line.pop("wall", None)
                started = isinstance(wall, int | float) and self._control.get("started")
                at = self._scenario(float(wall)) if started else None
                self._journal.write(record(cast(Any, line)), at=at)
            else:
                log.warning("Locust plugin line of unknown type %r ignored", kind)
            line["type"] = kind
        return lines

    def _sli(self, line: Mapping[str, Any]) -> None:
        start, interval = float(line["start"]), float(line["interval"])
        fields = {
            "start_s": round(self._scenario(start), 3),
            "interval_s": round(interval * self._scale, 3),
            **line,
        }
        self._journal.write(
            LOAD_SLI(cast(LoadSli, fields)), at=self._scenario(start + interval / 2)
        )

    def _job(self, line: dict[str, Any]) -> None:
        event = str(line.pop("event"))
        at = self._scenario(float(line.pop("wall")))
        if event == "submitted":
            self._counts["submitted"] += 1
        elif event == "completed":
            self._counts["ok"] += 1
        elif event in _FAILED:
            self._counts["failed"] += 1
        self._journal.write(JOB_STEPS[event](cast(Any, line)), at=at)
