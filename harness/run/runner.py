"""One game day: start every part, check steady state, play the timeline, drain, score.

Parts start in order on loopback ports (Aer workers, fake backends, alert webhook, the
system under test) and stop in reverse order whatever happens. The scenario clock
starts only when all of them are up and warm, so start-up does not eat scenario time.

Outcomes: ``completed`` (scored against the gates), ``invalid`` (steady state not
reached: no fault injected), ``aborted`` (a stop condition held: faults reverted, load
stopped, jobs drained), ``interrupted`` (Ctrl-C / SIGTERM: faults reverted, the
run reported as far as it got), ``unavailable`` (the SUT could not be reached, started
or made ready, or escaped the scaled clock: a configuration error, exit code 3),
``crashed`` (an internal error: reported from the journal, exit code 4).

Alongside the load and the timeline run the stop monitor (:mod:`harness.run.stop`) and
the runbook engine (:mod:`harness.runbook.engine`); with ``interactive`` a
:class:`~harness.run.responder.Responder` reads the human's typed step ids.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp

from fake_backends.cloud import FakeCloud
from fake_backends.server import serve_clouds
from harness import scoring
from harness.errors import ConfigError, TargetError
from harness.exitcode import ExitCode
from harness.faults import FaultContext
from harness.faults.timeline import Timeline
from harness.instruments import Instruments
from harness.journal.lateness import Lateness, probe_loop
from harness.journal.records import (
    LAG,
    LAG_SUMMARY,
    RUN_CONFIG,
    RUN_ENDED,
    RUN_STARTED,
    STEADY_STATE,
    TICK,
    LagSummary,
    RunConfig,
    RunStarted,
    Tick,
)
from harness.journal.store import Journal
from harness.load.locust_engine import LocustWorkload
from harness.load.seam import LoadEngine
from harness.load.workload import Workload
from harness.netchaos import NetworkLinks, network_links
from harness.report import write_reports
from harness.run.progress import Snapshot
from harness.run.responder import Responder, commands_of
from harness.run.stop import StopMonitor
from harness.run.terminal import Screen, open_screen
from harness.runbook.actions import ActionContext
from harness.runbook.engine import RunbookEngine
from harness.scenario.model import Scenario
from harness.scoring import JournalView, Score
from harness.sut.api import api_file_data
from harness.sut.client import SutClient
from harness.sut.leaks import SecretWatch
from harness.sut.scrape import scrape_loop
from harness.sut.targets import Target, job_api, make_target
from harness.sut.webhook import AlertReceiver
from harness.sut.wiring import (
    METRICS_LINK,
    WEBHOOK_LINK,
    BackendEndpoint,
    Wiring,
    new_secret,
    redact,
    with_token,
)
from plumbing.clock import ScaledClock, VirtualClock
from plumbing.seeds import derive
from plumbing.virtual import is_virtual

__all__ = ["RunResult", "new_run_dir", "run_game_day"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RunResult:
    """Where the run wrote its files, its score and the process exit code."""

    run_dir: Path
    score: Score
    exit_code: ExitCode
    files: tuple[Path, ...]


ProgressFn = Callable[[Snapshot], None]


def new_run_dir(reports_dir: Path, scenario: str) -> Path:
    """``reports/<scenario>-<UTC timestamp>``, made unique if two runs share a second."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = reports_dir / f"{scenario}-{stamp}"
    n = 1
    while path.exists():
        n += 1
        path = reports_dir / f"{scenario}-{stamp}-{n}"
    return path


async def run_game_day(
    scenario: Scenario,
    run_dir: Path,
    *,
    progress: ProgressFn | None = None,
    workers: int | None = None,
    interactive: bool = False,
    screen: Screen | None = None,
) -> RunResult:
    """Run ``scenario`` and write its journal and reports into ``run_dir``.

    With ``interactive`` the responder is paged on ``screen`` (default: a prompt on the
    terminal, or plain lines over pipes) and types commands there. A scenario on the
    virtual clock must be played in a :class:`~plumbing.virtual.VirtualEventLoop`
    (:func:`plumbing.virtual.run`).
    """
    clock: ScaledClock | VirtualClock
    if scenario.clock == "virtual":
        if not is_virtual():
            raise ConfigError(
                "a game day on the virtual clock needs a VirtualEventLoop "
                "(plumbing.virtual.run); this loop runs on wall time"
            )
        clock = VirtualClock()
    else:
        clock = ScaledClock(scenario.time_scale, started=False)
    # --out may name an earlier run's folder: the journal is append-only, so the new run
    # would be written after the old one and `gameday report` would score both as one
    for stale in ("journal.jsonl", "error.txt"):
        if (run_dir / stale).exists():
            log.info("replacing %s of an earlier run", run_dir / stale)
            (run_dir / stale).unlink()
    journal = Journal(run_dir / "journal.jsonl", clock)
    view = JournalView()  # what the live loops read, updated as each record is written
    journal.subscribe(view.add)
    config = RunConfig(
        scenario=scenario.name,
        file=scenario.file,
        source=dict(scenario.source),
        seed=scenario.seed,
        time_scale=scenario.time_scale,
        clock=scenario.clock,
    )
    if interactive:
        config["interactive"] = True
    if scenario.target.webhook_port:  # a fixed webhook is announced before anything starts
        url = f"http://127.0.0.1:{scenario.target.webhook_port}/alerts"
        config["webhook_url"] = redact(with_token(url, "x"))
    journal.write(RUN_CONFIG(config))
    live = Instruments(clock, journal, view, scenario.scoring_config())
    game = _GameDay(scenario, live, progress)
    if interactive:
        screen = screen or open_screen(commands_of(scenario.runbook))
        task = asyncio.current_task()

        def interrupt() -> None:  # `quit` or Ctrl-C at the prompt: as a SIGINT would
            if task is not None:
                task.cancel()

        game.responder = Responder(live, screen, interrupt=interrupt)
        journal.subscribe(game.responder.record)  # after the view: it reads the view
    wall0 = time.monotonic()
    status: str = "crashed"
    reason: str | None = "the run did not finish"
    try:
        status, reason = await game.play(workers)
    except asyncio.CancelledError:
        task = asyncio.current_task()
        if task is not None:
            task.uncancel()
        status, reason = "interrupted", "stopped by a signal (Ctrl-C or SIGTERM); faults reverted"
    except Exception as exc:  # any failure of a part: report what we have, exit 4
        cause = _first_cause(exc)
        if isinstance(cause, TargetError | ConfigError) and not game.started:
            # the SUT could not be reached, started or made ready: the user's to fix (exit 3)
            status, reason = "unavailable", str(cause)
            log.error("the system under test is unavailable: %s", reason)
        else:
            status, reason = "crashed", f"{type(cause).__name__}: {cause}"
            (run_dir / "error.txt").write_text(traceback.format_exc(), encoding="utf-8")
            log.error("game day crashed: %s (traceback in %s)", exc, run_dir / "error.txt")
    finally:
        wall_s = time.monotonic() - wall0
        lag = LagSummary(sources=game.lateness.summary(), time_scale=clock.time_scale)
        journal.write(LAG_SUMMARY(lag))
        journal.write(RUN_ENDED({"status": status, "reason": reason, "wall_s": wall_s}))
        journal.close()
        if game.responder is not None and screen is not None:
            screen.show(game.responder.summary())
    # scoring and plotting are CPU work: off the event loop
    result, files = await asyncio.to_thread(write_reports, run_dir, journal.records, scenario)
    return RunResult(run_dir, result, ExitCode.of_run(result.status, result.passed), tuple(files))


def _first_cause(exc: BaseException) -> BaseException:
    """The first error inside (nested) exception groups: what a reader needs to see."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


class _GameDay:
    def __init__(
        self,
        scenario: Scenario,
        live: Instruments[ScaledClock | VirtualClock],
        progress: ProgressFn | None,
    ) -> None:
        self.s = scenario
        self.live = live
        self.progress = progress
        self.clouds: list[FakeCloud] = []
        self.receiver: AlertReceiver | None = None
        self.responder: Responder | None = None
        self.actions: ActionContext | None = None
        self.links: NetworkLinks | None = None
        self.lateness = Lateness()
        self.target: Target | None = None
        self.started = False
        self.http: aiohttp.ClientSession | None = None

    async def play(self, workers: int | None) -> tuple[str, str | None]:
        s = self.s
        clock, journal = self.live.clock, self.live.journal
        wall0 = time.monotonic()
        async with AsyncExitStack() as stack:
            self.clouds = await stack.enter_async_context(
                serve_clouds(
                    [b.spec for b in s.backends],
                    clock=clock,
                    seed=s.seed,
                    workers=workers,
                    on_event=journal.sink,
                )
            )
            secret = new_secret()
            self.receiver = await stack.enter_async_context(
                AlertReceiver(journal, clock=clock, lateness=self.lateness, secret=secret).running()
            )
            # the credentials the SUT gets, looked for where they do not belong; closed
            # (sut.log scanned) after the SUT has stopped: the stack unwinds in reverse
            watch = self._watch_secrets(secret)
            stack.callback(watch.finish)
            # every SUT -> backend link goes through a fault proxy, and so does the SUT's
            # link to the webhook (`telemetry.*` faults); a fixed port is the proxy's
            ports = {b.name: b.port for b in s.backends if b.port}
            if s.target.webhook_port:
                ports[WEBHOOK_LINK] = s.target.webhook_port
            self.links = await stack.enter_async_context(
                network_links(
                    {c.name: c.url for c in self.clouds} | {WEBHOOK_LINK: self.receiver.base_url},
                    ports=ports,
                    on_event=journal.sink,
                    seed=derive(s.seed, "network"),
                )
            )
            wiring = Wiring(
                backends=tuple(
                    BackendEndpoint(c.name, self.links.url(c.name), next(iter(c.spec.keys())))
                    for c in self.clouds
                ),
                webhook_base=self.links.url(WEBHOOK_LINK),
                secret=secret,
                time_scale=s.time_scale,
                seed=s.seed,
                protocols=s.target.protocols,
            )
            self.target = target = make_target(
                s.target,
                clock,
                derive(s.seed, "sut:reference"),
                journal=journal,
                scenario_dir=_scenario_dir(s),
            )
            if target.admin_token is not None:
                watch.add("admin_token", target.admin_token)
            if s.target.kind == "command":
                stack.callback(watch.scan_log, journal.path.parent / "sut.log")
            elif s.target.kind == "reference":
                stack.enter_context(watch.watching_logger())
            sut_url = await stack.enter_async_context(target.running(wiring))
            if s.target.metrics_path is not None:  # scraped through a link of its own
                await self.links.add(METRICS_LINK, sut_url)
            self.http = http = await stack.enter_async_context(
                # every outstanding job polls through this session: more connections
                # than aiohttp's default 100, or polls queue behind each other
                aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
            )
            timeout = max(1.0, clock.to_wall(s.workload.submit_timeout))
            api = job_api(s.target, _scenario_dir(s))
            client = SutClient(http, sut_url, timeout=timeout, api=api)
            self.actions = ActionContext(sut_url, http, target.admin_token)
            workload = await stack.enter_async_context(self._load(client, sut_url))
            clock.start()
            self.started = True
            started = RunStarted(
                target=target.description,
                sut_url=sut_url,
                sut_clock=target.sut_clock,
                backends=wiring.sut_backends(),  # what the SUT uses: through the fault proxies
                backend_origins={c.name: c.url for c in self.clouds},
                webhook_url=redact(wiring.webhook_url),
                events_url=redact(wiring.events_url),
                started_at=datetime.now(UTC).isoformat(timespec="seconds"),
                startup_s=round(time.monotonic() - wall0, 3),
            )
            journal.write(RUN_STARTED(started))
            return await self._phases(workload)
        raise AssertionError("unreachable")  # pragma: no cover

    def _watch_secrets(self, webhook_secret: str) -> SecretWatch:
        """A :class:`SecretWatch` on every backend's requests and the webhook's bodies."""
        watch = SecretWatch(self.live.journal)
        watch.add("webhook_secret", webhook_secret)
        for cloud in self.clouds:
            for key in cloud.spec.keys():
                watch.add(f"api_key:{cloud.name}", key, owner=cloud.name)
            cloud.observers.append(watch.backend_observer(cloud.name))
        if self.receiver is not None:
            self.receiver.on_body = watch.webhook_body
        return watch

    @asynccontextmanager
    async def _load(self, client: SutClient, sut_url: str) -> AsyncIterator[LoadEngine]:
        """Start the scenario's load engine (before the scenario clock starts).

        Locust's files go to ``<run folder>/locust/``.
        """
        s = self.s
        clock, journal = self.live.clock, self.live.journal
        if s.workload.engine != "locust":
            yield Workload(s.workload, client, clock, journal, s.seed, lateness=self.lateness)
            return
        locust = LocustWorkload(
            s.workload,
            sut_url=sut_url,
            clock=clock,
            journal=journal,
            out_dir=journal.path.parent / "locust",
            seed=s.seed,
            tick=s.tick,
            horizon=s.duration + s.drain,
            base_dir=Path(s.file).parent if s.file and not s.file.startswith("<") else None,
            api=None
            if s.target.kind == "reference"
            else api_file_data(s.target.api, s.target.adapter, _scenario_dir(s)),
        )
        async with locust.running() as engine:
            yield engine

    async def _phases(self, workload: LoadEngine) -> tuple[str, str | None]:
        s = self.s
        clock, journal = self.live.clock, self.live.journal
        ctx = FaultContext(
            {c.name: c.control for c in self.clouds},
            network=self.links,
            clock=clock,
            sut=self.target.handle if self.target is not None else None,
            journal=journal,
            webhook=self.receiver,
        )
        timeline = Timeline(s.faults, ctx, clock, journal, lateness=self.lateness)
        verdict: list[tuple[str, str | None]] = [("completed", None)]
        monitor = StopMonitor(self.live, after=s.warmup, drain=s.drain)
        assert self.actions is not None
        responder = self.responder
        engine = RunbookEngine(
            s.runbook,
            self.live,
            self.actions,
            interactive=responder is not None,
            page=responder.page if responder is not None else None,
        )
        try:
            async with asyncio.TaskGroup() as tg:
                helpers = [
                    tg.create_task(self._ticker(workload, timeline)),
                    tg.create_task(engine.run()),
                    tg.create_task(self._abort_on_stop(monitor, workload, verdict)),
                ]
                if s.clock == "scaled":  # a stall of the loop is lag only on a wall clock
                    helpers.append(tg.create_task(probe_loop(self.lateness, s.time_scale)))
                if responder is not None:
                    responder.engine = engine
                    helpers.append(tg.create_task(responder.run()))
                if (scrape := self._scraper()) is not None:
                    helpers.append(tg.create_task(scrape))
                faults = tg.create_task(
                    self._steady_then_faults(workload, timeline, verdict, monitor)
                )
                try:
                    await workload.run(submit_until=s.duration, drain_until=s.duration + s.drain)
                finally:
                    for helper in helpers:
                        helper.cancel()
                await faults  # every fault ends by the end of the load phase
        finally:
            await timeline.revert_all()
        return verdict[0]

    def _scraper(self) -> Coroutine[Any, Any, None] | None:
        """The loop scraping the SUT's metrics through their link, if the target has any."""
        path = self.s.target.metrics_path
        if path is None or self.links is None or self.http is None:
            return None
        url = self.links.url(METRICS_LINK) + path
        return scrape_loop(self.http, url, self.live.clock, self.live.journal, self.s.tick)

    async def _abort_on_stop(
        self, monitor: StopMonitor, workload: LoadEngine, verdict: list[tuple[str, str | None]]
    ) -> None:
        await monitor.run()
        if monitor.hit is None or verdict[0][0] != "completed":
            return
        verdict[0] = ("aborted", monitor.hit.reason)
        workload.stop_submitting(drain_until=self.live.clock.now() + self.s.drain)

    async def _steady_then_faults(
        self,
        workload: LoadEngine,
        timeline: Timeline,
        verdict: list[tuple[str, str | None]],
        monitor: StopMonitor,
    ) -> None:
        s = self.s
        clock, journal = self.live.clock, self.live.journal
        await clock.sleep(s.warmup - clock.now())
        ok, reason, slos = self._steady_state()
        journal.write(STEADY_STATE({"ok": ok, "reason": reason, "slos": slos}))
        if not ok:
            verdict[0] = ("invalid", f"steady state not reached: {reason}")
            workload.stop_submitting(drain_until=clock.now() + s.drain)
            return
        # a stop condition cancels the timeline: each fault window reverts in finally
        async with asyncio.TaskGroup() as tg:
            play = tg.create_task(timeline.run())
            stop = tg.create_task(monitor.stopped.wait())
            await asyncio.wait({play, stop}, return_when=asyncio.FIRST_COMPLETED)
            play.cancel()
            stop.cancel()

    def _steady_state(self) -> tuple[bool, str | None, list[dict[str, object]]]:
        now = self.live.clock.now()
        # judged on the second half of the warm-up: the first half lets connections,
        # tokens and the simulator's caches warm up (at high time scales a wall-clock
        # second of start-up costs minutes of scenario time)
        config, view = self.live.scoring, self.live.view
        events = scoring.sli_events(view.requests, config.slos, now, final=False, jobs=view.jobs)
        results = scoring.slo_results((), config, now, final=False, events=events, since=now / 2)
        table: list[dict[str, object]] = [
            {"name": r.name, "good": r.good, "total": r.total, "objective": r.objective}
            for r in results
        ]
        if not any(r.total for r in results):
            return False, "no job finished during the warm-up; is the SUT processing jobs?", table
        failing = [r for r in results if r.total and r.good < r.objective * r.total]
        if failing:
            worst = ", ".join(
                f"{r.name} {r.good}/{r.total} below objective {r.objective:g}" for r in failing
            )
            return False, worst, table
        return True, None, table

    async def _ticker(self, workload: LoadEngine, timeline: Timeline) -> None:
        tick, clock, journal = self.s.tick, self.live.clock, self.live.journal
        while True:
            now = clock.now()
            due = (now // tick + 1) * tick
            await clock.sleep(due - now)
            self.lateness.observe("tick", clock.now() - due)
            snap = self._snapshot(workload, timeline)
            jobs = snap.jobs
            tick_record = Tick(
                phase=snap.phase,
                submitted=jobs.submitted,
                ok=jobs.ok,
                failed=jobs.failed,
                outstanding=jobs.outstanding,
                active_faults=list(snap.active_faults),
                queue_depth={c.name: c.queue.depth for c in self.clouds},
            )
            journal.write(TICK(tick_record))
            if lag := self.lateness.drain():
                journal.write(LAG({"sources": lag}))
            journal.flush()
            if self.progress is not None:
                self.progress(snap)
            if self.responder is not None:
                self.responder.tick(snap)

    def _snapshot(self, workload: LoadEngine, timeline: Timeline) -> Snapshot:
        now = self.live.clock.now()
        s = self.s
        phase = "warm-up" if now < s.warmup else "load" if now < s.duration else "drain"
        return Snapshot(
            t=now,
            duration=s.duration,
            phase=phase,
            jobs=workload.counts,
            active_faults=tuple(timeline.active),
            alerts=self.receiver.received if self.receiver else 0,
            queue_depth=sum(cl.queue.depth for cl in self.clouds),
        )


def _scenario_dir(s: Scenario) -> Path:
    """The folder relative paths in the scenario are resolved from."""
    if s.file and not s.file.startswith("<"):
        return Path(s.file).resolve().parent
    return Path.cwd()
