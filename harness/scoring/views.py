"""Typed views of journal records: jobs, alerts, faults, mitigations.

The journal is a list of dicts (``{"t", "type", ...}``, types declared in
:mod:`harness.journal.records` and :mod:`fake_backends.records`); every scoring module
reads it through these views so record parsing lives in one place. Each view is built
record by record (:class:`JobBook`, :class:`FaultBook`, :func:`alert_of`,
:func:`mitigation_of`), so :class:`~harness.scoring.journal_view.JournalView` keeps them
up to date as a run plays.

Job outcomes (the ledger's words): ``ok`` completed with valid counts (they sum to the
shots asked, every bitstring has the circuit's width) and, for a canary, the counts
are its own nonce's (see ``unexpected``); ``wrong`` completed with invalid counts;
``unexpected`` a canary whose result carries another nonce: the mode is not its own
nonce, which holds under a quarter of the mode's count (noise alone leaves the nonce a
good share), so it belongs to another job or to none; ``failed`` rejected or failed by
the SUT; ``indeterminate`` the submit call itself failed (timeout, connection);
``recovered`` indeterminate, then completed after all. ``None``: no outcome (yet); at
the end of a run an accepted one is ``lost``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fake_backends.records import EXECUTION
from harness.journal.records import (
    FAULT_ENDED,
    FAULT_STARTED,
    JOB_ACCEPTED,
    JOB_COMPLETED,
    JOB_FAILED,
    JOB_INDETERMINATE,
    JOB_REJECTED,
    JOB_SUBMITTED,
    RUNBOOK_STEP,
    SUT_EVENT,
    SUT_RESTARTED,
)
from harness.scoring.identity import FingerprintIndex, execution_job, job_of_key

__all__ = [
    "AlertView",
    "FaultBook",
    "FaultView",
    "JobBook",
    "JobView",
    "Record",
    "alert_of",
    "hellinger_fidelity",
    "job_views",
    "mitigation_of",
]

Record = Mapping[str, Any]


@dataclass(slots=True)
class JobView:
    """One logical job of the workload, assembled from its ``job.*`` records."""

    id: str
    submitted_at: float
    shots: int
    width: int | None
    ideal: Mapping[str, float] | None
    nonce: str | None = None
    accepted: bool = False
    ended_at: float | None = None
    outcome: str | None = None
    fidelity: float | None = None
    mode: str | None = None
    started_at: float | None = None
    tenant: str | None = None
    loop: str | None = None  # a hybrid loop's job: its loop, iteration, and planned count
    iteration: int | None = None
    loop_iterations: int | None = None
    circuit: str | None = None  #: the job mix's circuit name (``ghz-5``): identical circuits

    @property
    def latency(self) -> float | None:
        """Submit to result, for jobs that completed."""
        if self.ended_at is None or self.outcome not in ("ok", "wrong", "unexpected"):
            return None
        return self.ended_at - self.submitted_at


@dataclass(frozen=True, slots=True)
class AlertView:
    """An alert the SUT sent to the harness webhook (``labels``: its identity beside the
    name, as sorted pairs)."""

    t: float
    status: str
    name: str
    summary: str = ""  #: what the SUT said about it (shown on the responder's page)
    labels: tuple[tuple[str, str], ...] = ()

    @property
    def identity(self) -> str:
        """``Name{label="value",...}``: a resolved alert closes the firing one with it."""
        inner = ",".join(f'{k}="{v}"' for k, v in self.labels)
        return f"{self.name}{{{inner}}}" if inner else self.name


@dataclass(frozen=True, slots=True)
class FaultView:
    """One fault window as journalled by the timeline."""

    id: str
    kind: str
    start: float
    end: float | None
    incident: bool = True  # False: a background condition (no incident of its own)


class JobBook:
    """Every logical job so far, by workload job id, updated one record at a time.

    A job starts at its first backend execution, found by the executed circuit's
    fingerprint (else its idempotency key: :mod:`harness.scoring.identity`), so a SUT
    that drops or rewrites keys does not hide when its jobs started.
    """

    def __init__(self) -> None:
        self.jobs: dict[str, JobView] = {}
        self.index = FingerprintIndex(())
        self._starts: dict[str, float] = {}  # idempotency key -> first start, job unseen

    def add(self, r: Record) -> None:
        kind = str(r.get("type", ""))
        if kind == EXECUTION.name:
            self._started(r)
            return
        if not kind.startswith("job."):
            return
        jid = str(r.get("job"))
        if kind == JOB_SUBMITTED.name:
            self.jobs[jid] = JobView(
                jid,
                float(r["t"]),
                int(r.get("shots", 0)),
                r.get("width"),
                r.get("ideal"),
                nonce=r.get("nonce"),
                started_at=self._starts.get(jid),
                tenant=r.get("tenant"),
                loop=r.get("loop"),
                iteration=r.get("iteration"),
                loop_iterations=r.get("of"),
                circuit=r.get("circuit"),
            )
            if r.get("ideal"):
                self.index.add(jid, r["ideal"])
        elif (job := self.jobs.get(jid)) is not None:
            _advance(job, kind, r)

    def _started(self, r: Record) -> None:
        started = r.get("started")
        if started is None:
            return
        ran, _ = execution_job(r, self.index, self.jobs)
        if ran is not None:
            first = self.jobs[ran].started_at
            self.jobs[ran].started_at = min(float(started), math.inf if first is None else first)
        elif (key := r.get("idempotency_key")) is not None:
            jid = job_of_key(key)
            self._starts[jid] = min(float(started), self._starts.get(jid, math.inf))


def job_views(records: Iterable[Record]) -> dict[str, JobView]:
    """Every logical job in the journal, by workload job id."""
    book = JobBook()
    for r in records:
        book.add(r)
    return book.jobs


def _advance(job: JobView, kind: str, r: Record) -> None:
    if kind == JOB_ACCEPTED.name:
        job.accepted = True
        return
    completed = kind == JOB_COMPLETED.name
    if job.outcome is not None and not (job.outcome == "indeterminate" and completed):
        return  # the first fate counts; only an indeterminate job can still complete
    if completed:
        counts = r.get("counts") or {}
        was_indeterminate = job.outcome == "indeterminate"
        job.ended_at = float(r["t"])
        job.outcome = _judge(job, counts)
        if was_indeterminate:
            job.outcome = "recovered"
    elif kind in _ENDINGS:
        job.ended_at = float(r["t"])
        job.outcome = "indeterminate" if kind == JOB_INDETERMINATE.name else "failed"


_ENDINGS = (JOB_FAILED.name, JOB_REJECTED.name, JOB_INDETERMINATE.name)


def _judge(job: JobView, counts: Mapping[str, Any]) -> str:
    if not _valid(counts, job.shots, job.width):
        return "wrong"
    if counts:
        job.mode = max(sorted(counts), key=lambda k: int(counts[k])).replace(" ", "")
    if job.ideal:
        job.fidelity = hellinger_fidelity(counts, job.ideal)
    if job.nonce is not None and _foreign(counts, job.nonce, job.mode):
        return "unexpected"
    return "ok"


#: a canary result is foreign when its own nonce holds less than this share of the mode
FOREIGN_RATIO = 0.25


def _foreign(counts: Mapping[str, Any], nonce: str, mode: str | None) -> bool:
    """True when a canary's counts carry another nonce, not its own one made noisy.

    Noise moves shots off the nonce (a qubit that decays or reads badly can even make a
    neighbour of the nonce the mode), but the nonce keeps a good share; a result meant
    for another job carries almost none of it. So it takes both: the mode is not the
    nonce, and the nonce has under a quarter of the mode's count.
    """
    if mode is None or mode == nonce:
        return False
    by_key = {k.replace(" ", ""): int(v) for k, v in counts.items()}
    return by_key.get(nonce, 0) < FOREIGN_RATIO * by_key.get(mode, 0)


def _valid(counts: Mapping[str, Any], shots: int, width: int | None) -> bool:
    try:
        total = sum(int(v) for v in counts.values())
    except (TypeError, ValueError):
        return False
    if total != shots:
        return False
    return width is None or all(len(k.replace(" ", "")) == width for k in counts)


def hellinger_fidelity(counts: Mapping[str, Any], ideal: Mapping[str, float]) -> float:
    """Hellinger fidelity (Bhattacharyya coefficient squared) of counts vs a distribution.

    >>> hellinger_fidelity({"00": 50, "11": 50}, {"00": 0.5, "11": 0.5})
    1.0
    """
    total = sum(float(v) for v in counts.values())
    if total <= 0:
        return 0.0
    bc = sum(math.sqrt(float(counts.get(k, 0)) / total * p) for k, p in ideal.items())
    return min(1.0, bc * bc)


def alert_of(r: Record) -> AlertView:
    """The view of an ``alert`` record."""
    labels = r.get("labels")
    pairs = tuple(sorted((str(k), str(v)) for k, v in labels.items())) if labels else ()
    return AlertView(
        float(r["t"]),
        str(r.get("status", "")),
        str(r.get("name", "")),
        str(r.get("summary") or ""),
        pairs,
    )


class FaultBook:
    """Fault windows so far, updated one record at a time (first start / end per id)."""

    def __init__(self) -> None:
        self._starts: dict[str, Record] = {}
        self._ends: dict[str, float] = {}

    def add(self, r: Record) -> None:
        if r.get("type") == FAULT_STARTED.name:
            self._starts.setdefault(str(r["id"]), r)
        elif r.get("type") == FAULT_ENDED.name:
            self._ends.setdefault(str(r["id"]), float(r["t"]))

    def views(self) -> tuple[FaultView, ...]:
        """Fault windows ordered by start time."""
        ordered = sorted(self._starts.values(), key=lambda r: float(r["t"]))
        return tuple(
            FaultView(
                str(r["id"]),
                str(r.get("kind", "")),
                float(r["t"]),
                self._ends.get(str(r["id"])),
                r.get("incident", True) is not False,
            )
            for r in ordered
        )


def mitigation_of(r: Record) -> tuple[float, str] | None:
    """(time, what) if ``r`` is a mitigation: a SUT-reported one, a crashed SUT ready
    again (``sut.restarted``), or a runbook action done (unless the step says
    ``mitigation: false``: a diagnostic action)."""
    kind = r.get("type")
    if kind == SUT_EVENT.name and r.get("kind") == "mitigation":
        return float(r["t"]), f"SUT: {r.get('name', 'mitigation')}"
    if kind == SUT_RESTARTED.name:  # a crashed SUT back: what its supervisor does about it
        return float(r["t"]), "SUT restarted"
    if (
        kind == RUNBOOK_STEP.name
        and r.get("status") == "done"
        and r.get("action")
        and r.get("mitigation", True)
    ):
        return float(r["t"]), f"runbook: {r.get('id')}"
    return None
