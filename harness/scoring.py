"""Scoring: a journal in, a :class:`Score` out. Pure: imports nothing from the harness.

Definitions (ARCHITECTURE.md, "Scoring"):

- **Job outcome** (ledger). ``ok``: completed with valid counts (they sum to the shots
  asked and every bitstring has the circuit's width). ``wrong``: completed with invalid
  counts. ``failed``: the SUT rejected or failed it. ``indeterminate``: the submit call
  itself failed (timeout, connection). ``lost``: accepted by the SUT, never finished
  by the end of the drain.
- **SLI events.** ``success``: one event per job when its fate is known (lost jobs at
  the end of the run); good iff ok. ``latency`` (threshold L): one event per job that
  did not fail outright, at ``min(end, submit + L)``; good iff ok within L. A stuck
  job therefore turns bad at ``submit + L``, not when (or if) it finally completes.
- **Tick health.** Time is cut into ticks; a tick is healthy when every SLI with
  events in it meets its objective. A tick without events is neutral (healthy).
- **Incident** = one fault window. TTD: first *firing* alert from the SUT after the
  fault starts (and before the next one starts). Impact: first unhealthy tick from the
  fault start on. Recovery: start of the first window of ``stable_window`` seconds
  of healthy ticks after the impact began, lying wholly inside the load phase (ticks
  after the load stops have no new jobs and prove nothing). TTR = recovery - fault start;
  a fault without impact has TTR 0. "Not detected" and "not recovered" are ``None``.
- **Error budget consumed** per SLO: bad events / ((1 - objective) x events), for the
  run's volume; with an SLO ``window`` (say 28 days) it is scaled by load-phase
  length / window, i.e. the share of that window's budget this run would burn. The
  headline figure is the worst SLO.
- **Duplicates**: backend executions grouped by idempotency key; a key executed n > 1
  times is one duplicated job and n - 1 duplicate executions.
- **Request SLIs** (Locust engine): each ``load.sli`` record is what the load generator
  finished in one interval; ``requests`` counts ``requests - failures`` good of
  ``requests``, ``request_latency`` (threshold in wall-clock seconds: HTTP is not
  time-scaled) counts the requests whose latency histogram bucket is within the
  threshold. They are aggregate events at the record's time, weighed like job events.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = [
    "GATES",
    "AlertView",
    "GateResult",
    "GateSpec",
    "Incident",
    "Ledger",
    "Score",
    "ScoringConfig",
    "SloResult",
    "SloSpec",
    "TickStats",
    "exit_code",
    "hellinger_fidelity",
    "score",
    "sli_ticks",
    "slo_results",
]

SLI_NAMES = ("success", "latency", "requests", "request_latency")


# -- configuration ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SloSpec:
    """One SLO: the SLI name, its objective (0..1) and, for latency, the threshold (s).

    ``window`` (seconds, optional) is the SLO's compliance period, e.g. 28 days. Without
    it the error budget is the run's own volume; with it the run is taken as a sample of
    the window's traffic and consumption is scaled by ``run length / window``.
    """

    name: str
    objective: float
    threshold: float | None = None
    window: float | None = None


@dataclass(frozen=True, slots=True)
class GateSpec:
    """A CI gate: ``value <op> threshold`` must hold (``op`` is ``max`` or ``min``)."""

    name: str
    op: Literal["max", "min"]
    threshold: float


@dataclass(frozen=True, slots=True)
class ScoringConfig:
    """What scoring needs to know about the scenario (all times in scenario seconds)."""

    tick: float
    stable_window: float
    load_end: float
    slos: tuple[SloSpec, ...]
    gates: tuple[GateSpec, ...] = ()


# -- results ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TickStats:
    """SLI counts in ``[start, start + tick)``; ``good``/``total`` are per SLI name."""

    start: float
    good: Mapping[str, int]
    total: Mapping[str, int]
    healthy: bool
    fidelity: float | None


@dataclass(frozen=True, slots=True)
class Incident:
    """One fault window and the response to it (``None`` = did not happen)."""

    id: str
    kind: str
    start_s: float
    end_s: float | None
    detected_at_s: float | None
    ttd_s: float | None
    impact: bool
    impact_start_s: float | None
    recovered_at_s: float | None
    ttr_s: float | None

    @property
    def detected(self) -> bool:
        return self.ttd_s is not None

    @property
    def recovered(self) -> bool:
        return self.ttr_s is not None


@dataclass(frozen=True, slots=True)
class SloResult:
    name: str
    objective: float
    threshold: float | None
    window: float | None
    good: int
    bad: int
    total: int
    error_budget_consumed: float


@dataclass(frozen=True, slots=True)
class Ledger:
    """Jepsen-style account of every logical job, plus what the backends executed."""

    submitted: int = 0
    ok: int = 0
    failed: int = 0
    wrong: int = 0
    indeterminate: int = 0
    lost: int = 0
    duplicated: int = 0
    duplicate_executions: int = 0
    executions: int = 0
    unkeyed_executions: int = 0
    shots_executed: int = 0
    qpu_seconds: float = 0.0

    @property
    def success_rate(self) -> float | None:
        return self.ok / self.submitted if self.submitted else None


@dataclass(frozen=True, slots=True)
class AlertView:
    t: float
    status: str
    name: str


@dataclass(frozen=True, slots=True)
class GateResult:
    name: str
    op: str
    threshold: float
    value: float | None
    passed: bool
    unit: str


@dataclass(frozen=True, slots=True)
class Score:
    """Everything the reports show. ``passed``: status completed and every gate passed."""

    status: str
    reason: str | None
    end_s: float
    incidents: tuple[Incident, ...]
    mttr_s: float | None
    slos: tuple[SloResult, ...]
    error_budget_consumed: float
    ledger: Ledger
    ticks: tuple[TickStats, ...]
    alerts: tuple[AlertView, ...]
    gates: tuple[GateResult, ...]
    mean_fidelity: float | None = None
    passed: bool = field(default=False)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for inc, raw in zip(self.incidents, out["incidents"], strict=True):
            raw["detected"] = inc.detected
            raw["recovered"] = inc.recovered
        out["ledger"]["success_rate"] = self.ledger.success_rate
        return out


# -- gates -----------------------------------------------------------------------------


def _max_ttd(s: Score) -> float | None:
    if any(i.ttd_s is None for i in s.incidents):
        return None
    return max((i.ttd_s for i in s.incidents if i.ttd_s is not None), default=0.0)


#: gate name -> (unit, description, value getter). ``None`` values fail every gate.
GATES: dict[str, tuple[str, str, Callable[[Score], float | None]]] = {
    "mttr": ("s", "mean time to recover (not recovered fails)", lambda s: s.mttr_s),
    "ttd": ("s", "worst time to detect (not detected fails)", _max_ttd),
    "error_budget_consumed": (
        "",
        "worst SLO's bad events / allowed bad events",
        lambda s: s.error_budget_consumed,
    ),
    "lost_jobs": ("", "jobs accepted but never finished", lambda s: s.ledger.lost),
    "failed_jobs": ("", "jobs failed or rejected", lambda s: s.ledger.failed),
    "wrong_results": ("", "jobs completed with invalid counts", lambda s: s.ledger.wrong),
    "indeterminate_jobs": ("", "submits with unknown fate", lambda s: s.ledger.indeterminate),
    "duplicate_executions": (
        "",
        "extra backend executions of one logical job",
        lambda s: s.ledger.duplicate_executions,
    ),
    "duplicated_jobs": ("", "logical jobs executed more than once", lambda s: s.ledger.duplicated),
    "success_rate": ("", "ok jobs / submitted jobs", lambda s: s.ledger.success_rate),
}


def _evaluate(spec: GateSpec, s: Score) -> GateResult:
    unit, _, getter = GATES[spec.name]
    value = getter(s)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        passed = False
    elif spec.op == "max":
        passed = value <= spec.threshold
    else:
        passed = value >= spec.threshold
    return GateResult(spec.name, spec.op, spec.threshold, value, passed, unit)


# -- journal views ---------------------------------------------------------------------


@dataclass(slots=True)
class _Job:
    id: str
    submitted_at: float
    shots: int
    width: int | None
    ideal: Mapping[str, float] | None
    accepted: bool = False
    ended_at: float | None = None
    outcome: str | None = None
    fidelity: float | None = None


def _jobs(records: Iterable[Mapping[str, Any]]) -> dict[str, _Job]:
    jobs: dict[str, _Job] = {}
    for r in records:
        kind = r.get("type", "")
        if not kind.startswith("job."):
            continue
        jid = str(r.get("job"))
        if kind == "job.submitted":
            jobs[jid] = _Job(
                jid, float(r["t"]), int(r.get("shots", 0)), r.get("width"), r.get("ideal")
            )
            continue
        job = jobs.get(jid)
        if job is None or job.outcome is not None:
            continue
        if kind == "job.accepted":
            job.accepted = True
        elif kind == "job.completed":
            counts = r.get("counts") or {}
            job.ended_at = float(r["t"])
            job.outcome = "ok" if _valid(counts, job.shots, job.width) else "wrong"
            if job.ideal and counts:
                job.fidelity = hellinger_fidelity(counts, job.ideal)
        elif kind in ("job.failed", "job.rejected", "job.indeterminate"):
            job.ended_at = float(r["t"])
            job.outcome = "indeterminate" if kind == "job.indeterminate" else "failed"
    return jobs


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


def _events(
    jobs: Iterable[_Job], slos: Sequence[SloSpec], end: float, *, final: bool = True
) -> dict[str, list[tuple[float, bool]]]:
    """SLI events (time, good) per SLI name, per the definitions in the module docstring.

    With ``final=False`` (a run still going) unfinished jobs are not yet counted as lost.
    """
    out: dict[str, list[tuple[float, bool]]] = {s.name: [] for s in slos}
    latency = next((s.threshold for s in slos if s.name == "latency"), None)
    for job in jobs:
        if job.submitted_at > end:
            continue
        ended = job.ended_at is not None and job.ended_at <= end
        if "success" in out:
            if ended:
                out["success"].append((job.ended_at or 0.0, job.outcome == "ok"))
            elif final:
                out["success"].append((end, False))  # lost or never answered
        if latency is not None and "latency" in out:
            deadline = job.submitted_at + latency
            if ended and job.ended_at is not None and job.ended_at <= deadline:
                if job.outcome in ("ok", "wrong"):
                    out["latency"].append((job.ended_at, job.outcome == "ok"))
                # failed fast: counted by the success SLI, not by latency
            elif deadline <= end:
                out["latency"].append((deadline, False))
    return out


#: aggregate SLI events: (time, good, total)
_Aggregate = list[tuple[float, int, int]]


def _load_events(
    records: Iterable[Mapping[str, Any]], slos: Sequence[SloSpec], end: float
) -> dict[str, _Aggregate]:
    """Aggregate ``requests``/``request_latency`` events from ``load.sli`` records."""
    names = {s.name: s for s in slos if s.name in ("requests", "request_latency")}
    out: dict[str, _Aggregate] = {name: [] for name in names}
    if not names:
        return out
    limit = names["request_latency"].threshold if "request_latency" in names else None
    for r in records:
        if r.get("type") != "load.sli" or float(r["t"]) > end:
            continue
        t, total = float(r["t"]), int(r.get("requests", 0))
        if "requests" in out:
            out["requests"].append((t, total - int(r.get("failures", 0)), total))
        if limit is not None:
            hist = r.get("hist") or {}
            fast = sum(int(n) for ms, n in hist.items() if float(ms) <= limit * 1000.0)
            out["request_latency"].append((t, fast, total))
    return out


def sli_ticks(
    records: Sequence[Mapping[str, Any]], config: ScoringConfig, end: float
) -> tuple[TickStats, ...]:
    """Per-tick SLI counts and health from scenario time 0 to ``end``."""
    jobs = _jobs(records)
    return _ticks(jobs, config, end, _load_events(records, config.slos, end))


def _ticks(
    jobs: Mapping[str, _Job],
    config: ScoringConfig,
    end: float,
    load: Mapping[str, _Aggregate] | None = None,
) -> tuple[TickStats, ...]:
    n = max(1, math.ceil(end / config.tick))
    good: list[Counter[str]] = [Counter() for _ in range(n)]
    total: list[Counter[str]] = [Counter() for _ in range(n)]
    fid: list[list[float]] = [[] for _ in range(n)]
    for name, events in _events(jobs.values(), config.slos, end).items():
        for t, ok in events:
            i = min(n - 1, max(0, int(t // config.tick)))
            total[i][name] += 1
            good[i][name] += ok
    for name, aggregates in (load or {}).items():
        for t, ok_count, count in aggregates:
            i = min(n - 1, max(0, int(t // config.tick)))
            total[i][name] += count
            good[i][name] += ok_count
    for job in jobs.values():
        if job.fidelity is not None and job.ended_at is not None:
            fid[min(n - 1, int(job.ended_at // config.tick))].append(job.fidelity)
    objective = {s.name: s.objective for s in config.slos}
    return tuple(
        TickStats(
            start=i * config.tick,
            good=dict(good[i]),
            total=dict(total[i]),
            healthy=all(good[i][k] >= objective[k] * total[i][k] for k in total[i]),
            fidelity=sum(fid[i]) / len(fid[i]) if fid[i] else None,
        )
        for i in range(n)
    )


# -- incidents -------------------------------------------------------------------------


def _incidents(
    records: Sequence[Mapping[str, Any]],
    ticks: Sequence[TickStats],
    alerts: Sequence[AlertView],
    config: ScoringConfig,
    end: float,
) -> tuple[Incident, ...]:
    starts: dict[str, Mapping[str, Any]] = {}
    ends: dict[str, float] = {}
    for r in records:
        if r.get("type") == "fault.started":
            starts.setdefault(str(r["id"]), r)
        elif r.get("type") == "fault.ended":
            ends.setdefault(str(r["id"]), float(r["t"]))
    ordered = sorted(starts.values(), key=lambda r: float(r["t"]))
    horizon = min(config.load_end, end)
    out = []
    for k, r in enumerate(ordered):
        start = float(r["t"])
        until = float(ordered[k + 1]["t"]) if k + 1 < len(ordered) else end
        detected = next(
            (a.t for a in alerts if a.status == "firing" and start <= a.t < until), None
        )
        impact, recovered = _impact_and_recovery(ticks, start, until, horizon, config)
        if impact is None:
            ttr: float | None = 0.0
        else:
            ttr = None if recovered is None else recovered - start
        out.append(
            Incident(
                id=str(r["id"]),
                kind=str(r.get("kind", "")),
                start_s=start,
                end_s=ends.get(str(r["id"])),
                detected_at_s=detected,
                ttd_s=None if detected is None else detected - start,
                impact=impact is not None,
                impact_start_s=impact,
                recovered_at_s=recovered if impact is not None else start,
                ttr_s=ttr,
            )
        )
    return tuple(out)


def _impact_and_recovery(
    ticks: Sequence[TickStats], start: float, until: float, horizon: float, config: ScoringConfig
) -> tuple[float | None, float | None]:
    first = next(
        (
            i
            for i, tk in enumerate(ticks)
            if tk.start + config.tick > start and tk.start < until and not tk.healthy
        ),
        None,
    )
    if first is None:
        return None, None
    need = max(1, math.ceil(config.stable_window / config.tick - 1e-9))
    run = 0
    for i in range(first + 1, len(ticks)):
        if ticks[i].start + config.tick > horizon + 1e-9:
            break
        run = run + 1 if ticks[i].healthy else 0
        if run >= need:
            return ticks[first].start, ticks[i - need + 1].start
    return ticks[first].start, None


# -- the score -------------------------------------------------------------------------


def _ledger(records: Sequence[Mapping[str, Any]], jobs: Mapping[str, _Job], end: float) -> Ledger:
    outcomes = Counter(j.outcome for j in jobs.values())
    lost = sum(1 for j in jobs.values() if j.outcome is None and j.accepted)
    never_answered = sum(1 for j in jobs.values() if j.outcome is None and not j.accepted)
    per_key: Counter[str] = Counter()
    executions = unkeyed = shots = 0
    qpu = 0.0
    for r in records:
        if r.get("type") != "backend.execution":
            continue
        executions += 1
        shots += int(r.get("shots", 0))
        qpu += float(r.get("qpu_s", 0.0))
        key = r.get("idempotency_key")
        if key is None:
            unkeyed += 1
        else:
            per_key[str(key)] += 1
    return Ledger(
        submitted=len(jobs),
        ok=outcomes["ok"],
        failed=outcomes["failed"],
        wrong=outcomes["wrong"],
        indeterminate=outcomes["indeterminate"] + never_answered,
        lost=lost,
        duplicated=sum(1 for n in per_key.values() if n > 1),
        duplicate_executions=sum(n - 1 for n in per_key.values() if n > 1),
        executions=executions,
        unkeyed_executions=unkeyed,
        shots_executed=shots,
        qpu_seconds=round(qpu, 3),
    )


def slo_results(
    records: Sequence[Mapping[str, Any]], config: ScoringConfig, end: float, *, final: bool = True
) -> tuple[SloResult, ...]:
    """Per-SLO good/bad counts and budget consumed over ``[0, end]``.

    The runner calls this with ``final=False`` for the steady-state check mid-run.
    """
    load = _load_events(records, config.slos, end)
    return _slo_results(_jobs(records), config, end, final=final, load=load)


def _slo_results(
    jobs: Mapping[str, _Job],
    config: ScoringConfig,
    end: float,
    *,
    final: bool = True,
    load: Mapping[str, _Aggregate] | None = None,
) -> tuple[SloResult, ...]:
    events = _events(jobs.values(), config.slos, end, final=final)
    aggregates = load or {}
    out = []
    for spec in config.slos:
        evs = events.get(spec.name, [])
        agg = aggregates.get(spec.name, [])
        good = sum(1 for _, ok in evs if ok) + sum(g for _, g, _ in agg)
        total = len(evs) + sum(n for _, _, n in agg)
        allowed = (1.0 - spec.objective) * total
        bad = total - good
        consumed = bad / allowed if allowed > 0 else (0.0 if bad == 0 else math.inf)
        if spec.window:
            consumed *= config.load_end / spec.window
        out.append(
            SloResult(
                spec.name, spec.objective, spec.threshold, spec.window, good, bad, total, consumed
            )
        )
    return tuple(out)


def _status(records: Sequence[Mapping[str, Any]]) -> tuple[str, str | None]:
    for r in reversed(records):
        if r.get("type") == "run.ended":
            return str(r.get("status", "completed")), r.get("reason")
    return "incomplete", "the journal has no run.ended record (the run was killed)"


def score(records: Sequence[Mapping[str, Any]], config: ScoringConfig) -> Score:
    """Score a journal (a list of records as written to ``journal.jsonl``)."""
    end = max((float(r.get("t", 0.0)) for r in records), default=0.0)
    jobs = _jobs(records)
    load = _load_events(records, config.slos, end)
    ticks = _ticks(jobs, config, end, load)
    alerts = tuple(
        AlertView(float(r["t"]), str(r.get("status", "")), str(r.get("name", "")))
        for r in records
        if r.get("type") == "alert"
    )
    incidents = _incidents(records, ticks, alerts, config, end)
    ttrs = [i.ttr_s for i in incidents]
    mttr = None if not ttrs or any(t is None for t in ttrs) else sum(ttrs) / len(ttrs)  # type: ignore[arg-type]
    slos = _slo_results(jobs, config, end, load=load)
    fids = [j.fidelity for j in jobs.values() if j.fidelity is not None]
    status, reason = _status(records)
    draft = Score(
        status=status,
        reason=reason,
        end_s=end,
        incidents=incidents,
        mttr_s=mttr,
        slos=slos,
        error_budget_consumed=max((s.error_budget_consumed for s in slos), default=0.0),
        ledger=_ledger(records, jobs, end),
        ticks=ticks,
        alerts=alerts,
        gates=(),
        mean_fidelity=sum(fids) / len(fids) if fids else None,
    )
    gates = tuple(_evaluate(g, draft) for g in config.gates)
    passed = status == "completed" and all(g.passed for g in gates)
    return Score(**{**_fields(draft), "gates": gates, "passed": passed})


def _fields(s: Score) -> dict[str, Any]:
    return {f: getattr(s, f) for f in Score.__dataclass_fields__}


def exit_code(s: Score) -> int:
    """0 all gates pass, 1 a gate failed, 2 invalid/aborted/interrupted, 4 crashed."""
    if s.status == "completed":
        return 0 if s.passed else 1
    if s.status in ("invalid", "aborted", "interrupted"):
        return 2
    return 4
