"""The SLI recorder: exact per-interval request statistics, job outcomes, control.

Runs inside Locust (loaded by ``sli_plugin.py``). Why our own recorder: Locust's CSV
history is smoothed over ~10 s, flushed every 5 s and can skip a second, and ``--json``
resets per-endpoint statistics. This one listens to the same ``request`` event Locust's
statistics do and writes every request into exactly one interval line (format in
:mod:`harness.load.lines`), so its sums equal Locust's totals.

Roles follow Locust's runner:

- **local** (one process): a greenlet writes each interval once it is over, and the
  unfinished one when the users stop;
- **worker**: every stats report to the master (``report_to_master``) carries the
  finished intervals and job steps; once the users have stopped it carries the
  unfinished interval too. Without that last flush about 10% of the requests of a
  distributed run would be missing;
- **master**: writes what the workers report (``worker_report``), forwards the
  harness's control to the workers (a custom message, re-sent every second so late
  workers get it too), and says ``drained`` when every worker is.

The harness controls a run through a small JSON file (``--qg-control``): when users
may start, the interval grid (``origin``, ``interval``), the submit and drain
deadlines and ``stop``. Without that option users start at once on a grid of whole
epoch seconds and never stop submitting.
"""

from __future__ import annotations

import json
import os
import time
import weakref
from argparse import ArgumentParser
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from typing import IO, Any

import gevent
import locust.runners
import locust.stats
from locust.env import Environment
from locust.event import Events
from locust.runners import MasterRunner, WorkerRunner

from harness.load.lines import EndpointStats, SliLine
from plumbing.lifetime import die_with_parent
from plumbing.records import Event

__all__ = ["Control", "Recorder", "install", "recorder_for"]

REPORT_KEY = "qgameday"
CONTROL_MESSAGE = "qgameday_control"
LOOP_S = 0.1
RESEND_S = 1.0
GAME_DAY_REPORT_S = 1.0


@dataclass(frozen=True, slots=True)
class Control:
    """What the harness tells the load processes. Times are wall-clock epoch seconds."""

    started: bool = False
    origin: float = 0.0
    interval: float = 1.0
    submit_until: float | None = None
    drain_until: float | None = None
    stop: bool = False

    def may_submit(self, now: float) -> bool:
        return self.started and (self.submit_until is None or now < self.submit_until)

    @classmethod
    def from_dict(cls, data: Any) -> Control | None:
        if not isinstance(data, dict):
            return None
        try:
            return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})
        except TypeError:
            return None


@dataclass(slots=True)
class _Counts:
    requests: int = 0
    failures: int = 0
    hist: Counter[int] = field(default_factory=Counter)


class Recorder:
    """Per-process state: interval buckets, pending job steps, jobs in flight, control."""

    def __init__(self, environment: Environment) -> None:
        self.env = environment
        self.control = Control()
        self.source = "local"
        self.in_flight = 0
        self._buckets: dict[int, dict[str, _Counts]] = {}
        self._jobs: list[dict[str, Any]] = []
        self._final = False
        self._out: IO[str] | None = None
        self._control_path: str | None = None
        self._control_stamp: tuple[float, int] | None = None
        self._worker_drained: dict[str, bool] = {}
        self._said_drained = False
        self._quitting = False

    # -- what users and Locust call ---------------------------------------------------

    def on_request(
        self,
        request_type: str,
        name: str,
        response_time: float | None,
        exception: BaseException | None = None,
        **_: Any,
    ) -> None:
        ctl = self.control
        k = int((time.time() - ctl.origin) // ctl.interval)
        counts = self._buckets.setdefault(k, {}).setdefault(f"{request_type} {name}", _Counts())
        counts.requests += 1
        if exception is not None:
            counts.failures += 1
        if response_time is not None:  # Locust counts these requests but not their time
            counts.hist[locust.stats.bucket_response_time(response_time)] += 1

    def job(self, step: Event[Any]) -> None:
        """Report one step of a job (a ``job.*`` event: submitted, accepted, ...)."""
        event = step.type.removeprefix("job.")
        self._jobs.append({"type": "job", "event": event, "wall": time.time(), **step.fields})

    def apply(self, control: Control) -> None:
        if (control.origin, control.interval) != (self.control.origin, self.control.interval):
            self._flush_on_grid_change()
        self.control = control

    # -- lines ------------------------------------------------------------------------

    def take(self, final: bool) -> list[dict[str, Any]]:
        """Finished intervals (all of them if ``final``) and job steps, removed from here."""
        ctl = self.control
        current = int((time.time() - ctl.origin) // ctl.interval)
        lines: list[dict[str, Any]] = []
        for k in sorted(self._buckets):
            if final or k < current:
                lines.append(self._line(k, self._buckets.pop(k)))
        lines.extend(self._jobs)
        self._jobs = []
        return lines

    def _line(self, k: int, endpoints: dict[str, _Counts]) -> dict[str, Any]:
        ctl = self.control
        hist: Counter[int] = Counter()
        for c in endpoints.values():
            hist.update(c.hist)
        line = SliLine(
            start=round(ctl.origin + k * ctl.interval, 6),
            interval=ctl.interval,
            source=self.source,
            requests=sum(c.requests for c in endpoints.values()),
            failures=sum(c.failures for c in endpoints.values()),
            hist=dict(hist),
            endpoints={
                n: EndpointStats(c.requests, c.failures, dict(c.hist)) for n, c in endpoints.items()
            },
        )
        return {"type": "sli", **line.to_record()}

    def _flush_on_grid_change(self) -> None:
        # a new grid (the harness started the clock): what was counted on the old one
        # goes out now, so no request is dropped or counted twice
        self._jobs[:0] = self.take(final=True)

    def drained(self) -> bool:
        """Past the submit deadline and no job of this process in flight."""
        until = self.control.submit_until
        return until is not None and time.time() >= until and self.in_flight == 0

    # -- output (local and master) ----------------------------------------------------

    def open(self, path: str | None) -> None:
        if path:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
            self._out = open(path, "a", encoding="utf-8")  # noqa: SIM115 - closed on quit

    def write(self, lines: list[dict[str, Any]]) -> None:
        if self._out is None or not lines:
            return
        for line in lines:
            self._out.write(json.dumps(line, separators=(",", ":")) + "\n")
        self._out.flush()

    def say(self, type: str, **data: Any) -> None:
        self.write([{"type": type, "wall": time.time(), **data}])

    def close(self, exit_code: int | None) -> None:
        if self._out is not None:
            self.write(self.take(final=True))
            self.say("stopped", exit_code=exit_code)
            self._out.close()
            self._out = None

    # -- control ----------------------------------------------------------------------

    def read_control(self) -> bool:
        """Re-read the control file if it changed; True if the control changed."""
        if not self._control_path:
            return False
        try:
            st = os.stat(self._control_path)
            stamp = (st.st_mtime, st.st_size)
            if stamp == self._control_stamp:
                return False
            with open(self._control_path, encoding="utf-8") as fh:
                data = json.load(fh)
        except (OSError, ValueError):
            return False
        control = Control.from_dict(data)
        if control is None:
            return False
        self._control_stamp = stamp
        self.apply(control)
        return True

    # -- role loops -------------------------------------------------------------------

    def local_loop(self) -> None:
        while True:
            self.read_control()
            self.write(self.take(final=self._final))
            if not self._said_drained and self.drained():
                self._said_drained = True
                self.say("drained")
            self._maybe_stop()
            gevent.sleep(LOOP_S)

    def master_loop(self, runner: MasterRunner) -> None:
        sent = 0.0
        while True:
            changed = self.read_control()
            if changed or time.monotonic() - sent >= RESEND_S:
                runner.send_message(CONTROL_MESSAGE, asdict(self.control))
                sent = time.monotonic()
            workers = [c.id for c in runner.clients.all]
            if (
                not self._said_drained
                and workers
                and all(self._worker_drained.get(w, False) for w in workers)
            ):
                self._said_drained = True
                self.say("drained", workers=len(workers))
            self._maybe_stop()
            gevent.sleep(LOOP_S)

    def _maybe_stop(self) -> None:
        if self.control.stop and not self._quitting and self.env.runner is not None:
            # the same path as --run-time: stop users, collect final reports, write
            # the HTML report, exit
            self._quitting = True
            gevent.spawn(self.env.runner.quit)

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        data[REPORT_KEY] = {"lines": self.take(final=self._final), "drained": self.drained()}

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        payload = data.get(REPORT_KEY)
        if isinstance(payload, dict):
            self.write(list(payload.get("lines") or []))
            self._worker_drained[client_id] = bool(payload.get("drained"))

    def on_test_start(self, **_: Any) -> None:
        self._final = False

    def on_test_stop(self, **_: Any) -> None:
        self._final = True


_RECORDERS: weakref.WeakKeyDictionary[Environment, Recorder] = weakref.WeakKeyDictionary()


def recorder_for(environment: Environment) -> Recorder:
    """The recorder of this Locust process (a detached one when the plugin is not loaded)."""
    rec = _RECORDERS.get(environment)
    if rec is None:
        rec = _RECORDERS[environment] = Recorder(environment)
        rec.apply(replace(rec.control, started=True))
    return rec


def _options(parser: ArgumentParser) -> None:
    group = parser.add_argument_group("qgameday SLI plugin")
    group.add_argument("--qg-sli-out", default="", help="write per-interval SLI lines here")
    group.add_argument(
        "--qg-sli-interval", type=float, default=1.0, help="SLI interval in seconds (default 1)"
    )
    group.add_argument("--qg-control", default="", help="control file written by the harness")


def _on_init(environment: Environment, **_: Any) -> None:
    rec = _RECORDERS.get(environment) or Recorder(environment)
    _RECORDERS[environment] = rec
    opts = environment.parsed_options
    control_path = getattr(opts, "qg_control", "") or None
    interval = float(getattr(opts, "qg_sli_interval", 1.0) or 1.0)
    rec._control_path = control_path
    # without a control file users start at once, on a grid of whole interval steps
    rec.apply(Control(started=control_path is None, interval=interval))
    events = environment.events
    events.request.add_listener(rec.on_request)
    events.test_start.add_listener(rec.on_test_start)
    events.test_stop.add_listener(rec.on_test_stop)
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        if getattr(opts, "processes", None):
            # forked by the local master (--processes): the harness's PR_SET_PDEATHSIG
            # reaches the master only, and a fork does not inherit it; without this a
            # SIGKILLed harness left the workers running until Locust's heartbeat gave up
            die_with_parent()
        rec.source = f"worker-{runner.worker_index}"  # known: the master acked us
        if control_path is not None:
            # a game day journals job steps as they arrive: report every second, not 3
            locust.runners.WORKER_REPORT_INTERVAL = GAME_DAY_REPORT_S
        events.report_to_master.add_listener(rec.on_report_to_master)
        runner.register_message(
            CONTROL_MESSAGE, lambda environment, msg, **kw: _on_control(rec, msg.data)
        )
        return
    rec.open(getattr(opts, "qg_sli_out", "") or None)
    events.spawning_complete.add_listener(
        lambda user_count, **kw: rec.say("ready", users=user_count)
    )
    events.quit.add_listener(lambda exit_code=None, **kw: rec.close(exit_code))
    if isinstance(runner, MasterRunner):
        events.worker_report.add_listener(rec.on_worker_report)
        gevent.spawn(rec.master_loop, runner)
    else:
        gevent.spawn(rec.local_loop)
    rec.say("started", role=type(runner).__name__, pid=os.getpid())


def _on_control(rec: Recorder, data: Any) -> None:
    control = Control.from_dict(data)
    if control is not None and control != rec.control:
        rec.apply(control)


def install(events: Events) -> None:
    """Register the recorder's options and listeners on Locust's ``events``."""
    events.init_command_line_parser.add_listener(_options)
    events.init.add_listener(_on_init)
