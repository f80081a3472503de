"""A journal as scoring reads it, built record by record: after a run, or while it plays.

:class:`JournalView` sorts each record into what scoring needs (jobs, alerts, faults,
mitigations, SUT events, runbook steps, executions, request aggregates, tick records,
the run's status). :func:`~harness.scoring.score.score` builds one from a whole journal;
during a run the runner subscribes one to the journal, so the live loops (the ticker's
alert relay, the stop monitor, the runbook engine) read an up-to-date view instead of
re-reading the whole journal every tick.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from fake_backends.records import EXECUTION
from harness.journal.records import (
    ALERT,
    FAULT_ENDED,
    FAULT_STARTED,
    LAG,
    LAG_SUMMARY,
    LOAD_SLI,
    RESPONDER_ACK,
    RUN_CONFIG,
    RUN_ENDED,
    RUNBOOK_STEP,
    SECRET_LEAK,
    SECRET_SCAN,
    SUT_EVENT,
    SUT_SCRAPE,
    TICK,
    WEBHOOK_REFUSED,
)
from harness.scoring.views import (
    AlertView,
    FaultBook,
    FaultView,
    JobBook,
    JobView,
    Record,
    alert_of,
    mitigation_of,
)

__all__ = ["JournalView"]


class JournalView:
    """What scoring reads of a journal, kept up to date by :meth:`add`."""

    def __init__(self) -> None:
        self._jobs = JobBook()
        self._faults = FaultBook()
        self.alerts: list[AlertView] = []
        self.mitigations: list[tuple[float, str]] = []  # in journal order
        self.sut_events: list[tuple[float, str]] = []  # (t, name)
        self.step_records: list[Record] = []  # runbook.step
        self.acks: list[float] = []  # responder.ack times
        self.executions: list[Record] = []  # backend.execution
        self.requests: list[Record] = []  # load.sli
        self.ticks: list[Record] = []  # tick
        self.refused: list[Record] = []  # webhook.refused
        self.scrapes: list[Record] = []  # sut.scrape
        self.leaks: list[Record] = []  # secret.leak
        self.secret_scan: Record | None = None  # secret.scan (the last)
        self.instrument: list[Record] = []  # run.config, lag, lag.summary: the run's own lag
        self.end = 0.0  # the last scenario time seen
        self.status: tuple[str, str | None] | None = None  # from the last run.ended
        self.interactive = False
        #: the lists above that keep every record of a type as it is, by that type
        self._kept: dict[str, list[Record]] = {
            EXECUTION.name: self.executions,
            LOAD_SLI.name: self.requests,
            TICK.name: self.ticks,
            RUNBOOK_STEP.name: self.step_records,
            WEBHOOK_REFUSED.name: self.refused,
            SUT_SCRAPE.name: self.scrapes,
            SECRET_LEAK.name: self.leaks,
            RUN_CONFIG.name: self.instrument,
            LAG.name: self.instrument,
            LAG_SUMMARY.name: self.instrument,
        }

    @classmethod
    def of(cls, records: Iterable[Record]) -> JournalView:
        """The view of a whole journal."""
        view = cls()
        for r in records:
            view.add(r)
        return view

    @property
    def jobs(self) -> Mapping[str, JobView]:
        return self._jobs.jobs

    @property
    def faults(self) -> tuple[FaultView, ...]:
        return self._faults.views()

    def add(self, r: Record) -> None:
        """Take one more record into the view."""
        self.end = max(self.end, float(r.get("t", 0.0)))
        kind = r.get("type")
        if not isinstance(kind, str):
            kind = ""
        if (kept := self._kept.get(kind)) is not None:
            kept.append(r)
        if kind == EXECUTION.name or kind.startswith("job."):
            self._jobs.add(r)
        elif kind == ALERT.name:
            self.alerts.append(alert_of(r))
        elif kind in (FAULT_STARTED.name, FAULT_ENDED.name):
            self._faults.add(r)
        elif kind == SUT_EVENT.name:
            self.sut_events.append((float(r["t"]), str(r.get("name", ""))))
        elif kind == RESPONDER_ACK.name:
            self.acks.append(float(r["t"]))
        elif kind == SECRET_SCAN.name:
            self.secret_scan = r
        elif kind == RUN_ENDED.name:
            self.status = str(r.get("status", "completed")), r.get("reason")
        elif kind == RUN_CONFIG.name:
            self.interactive = self.interactive or bool(r.get("interactive"))
        if (mitigation := mitigation_of(r)) is not None:
            self.mitigations.append(mitigation)
