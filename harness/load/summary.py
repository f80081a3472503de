"""The report of a standalone load test: totals, rates and percentiles from the plugin.

Pure: plugin lines (and Locust's own ``locust_stats.json``) in, a :class:`LoadSummary`
out, rendered as ``summary.json`` and ``summary.md``. The plugin's totals are checked
against Locust's own aggregated totals; they must be equal (``totals_match``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from harness.load.lines import merge_hist, percentile, sli_from_record

__all__ = [
    "EndpointSummary",
    "LoadSummary",
    "locust_totals",
    "render_markdown",
    "summarize",
    "write_summary",
]


@dataclass(frozen=True, slots=True)
class EndpointSummary:
    """Totals of one endpoint (``"<method> <name>"``, or ``all``) over the whole test."""

    name: str
    requests: int
    failures: int
    p50_ms: int | None
    p95_ms: int | None
    p99_ms: int | None


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What a standalone load test measured."""

    target: str
    locustfile: str
    users: int
    processes: int
    duration_s: float
    mean_rps: float
    peak_rps: float
    total: EndpointSummary
    endpoints: tuple[EndpointSummary, ...]
    jobs: Mapping[str, int]
    locust_totals: Mapping[str, tuple[int, int]] | None
    totals_match: bool | None
    exit_code: int | None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        if self.locust_totals is not None:
            out["locust_totals"] = {k: list(v) for k, v in self.locust_totals.items()}
        return out


def _endpoint(name: str, requests: int, failures: int, hist: Mapping[int, int]) -> EndpointSummary:
    return EndpointSummary(
        name,
        requests,
        failures,
        percentile(hist, 0.50),
        percentile(hist, 0.95),
        percentile(hist, 0.99),
    )


def locust_totals(stats_json: Path) -> dict[str, tuple[int, int]] | None:
    """(requests, failures) per ``"<method> <name>"`` from Locust's ``--json-file``."""
    try:
        entries = json.loads(stats_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return {
        f"{e['method']} {e['name']}": (int(e["num_requests"]), int(e["num_failures"]))
        for e in entries
    }


def summarize(
    lines: Iterable[Mapping[str, Any]],
    *,
    target: str,
    locustfile: str,
    users: int,
    processes: int,
    locust: Mapping[str, tuple[int, int]] | None = None,
    exit_code: int | None = None,
) -> LoadSummary:
    """Fold the plugin's lines into totals per endpoint, rates and job outcomes."""
    per_second: Counter[float] = Counter()
    requests: Counter[str] = Counter()
    failures: Counter[str] = Counter()
    hists: dict[str, list[Mapping[int, int]]] = {}
    jobs: Counter[str] = Counter()
    starts: list[float] = []
    for raw in lines:
        if raw.get("type") == "job":
            jobs[str(raw.get("event"))] += 1
        if raw.get("type") != "sli":
            continue
        line = sli_from_record(raw)
        starts.append(line.start)
        per_second[float(int(line.start))] += line.requests
        for name, e in line.endpoints.items():
            requests[name] += e.requests
            failures[name] += e.failures
            hists.setdefault(name, []).append(e.hist)
    endpoints = tuple(
        _endpoint(n, requests[n], failures[n], merge_hist(hists[n])) for n in sorted(requests)
    )
    everything = merge_hist(h for hs in hists.values() for h in hs)
    total = _endpoint("all", sum(requests.values()), sum(failures.values()), everything)
    span = (max(starts) - min(starts) + 1.0) if starts else 0.0
    plugin = {e.name: (e.requests, e.failures) for e in endpoints}
    return LoadSummary(
        target=target,
        locustfile=locustfile,
        users=users,
        processes=processes,
        duration_s=round(span, 1),
        mean_rps=round(total.requests / span, 1) if span else 0.0,
        peak_rps=float(max(per_second.values(), default=0)),
        total=total,
        endpoints=endpoints,
        jobs=dict(jobs),
        locust_totals=locust,
        totals_match=None if locust is None else locust == plugin,
        exit_code=exit_code,
    )


def _row(e: EndpointSummary) -> str:
    def ms(v: int | None) -> str:
        return "-" if v is None else f"{v}"

    rate = f"{e.failures / e.requests:.2%}" if e.requests else "-"
    return (
        f"| {e.name} | {e.requests} | {e.failures} | {rate} | {ms(e.p50_ms)} | "
        f"{ms(e.p95_ms)} | {ms(e.p99_ms)} |"
    )


def render_markdown(s: LoadSummary) -> str:
    """``summary.md``: the figures a reader looks for first."""
    match = {True: "equal", False: "DIFFERENT", None: "not available"}[s.totals_match]
    out: list[str] = [
        f"# Load test of {s.target}",
        "",
        f"{s.users} users in {s.processes} process(es), locustfile `{s.locustfile}`, "
        f"{s.duration_s:g} s of traffic: {s.mean_rps:g} requests/s on average, "
        f"{s.peak_rps:g} at peak. Locust's exit code: {s.exit_code}.",
        "",
        "| endpoint | requests | failures | failure rate | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
        *(_row(e) for e in (*s.endpoints, s.total)),
        "",
        f"Totals of the SLI plugin vs Locust's own statistics: **{match}**.",
    ]
    if s.jobs:
        steps = ", ".join(f"{n} {k}" for k, n in sorted(s.jobs.items()))
        out += ["", f"Jobs: {steps}."]
    out += [
        "",
        "Files: `sli.jsonl` (one line per process and second), `locust.html`, "
        "`locust_stats*.csv`, `locust_stats.json`, `locust.log`.",
    ]
    return "\n".join(out) + "\n"


def write_summary(out_dir: Path, summary: LoadSummary) -> Sequence[Path]:
    """Write ``summary.json`` and ``summary.md`` into ``out_dir``."""
    paths = [out_dir / "summary.json", out_dir / "summary.md"]
    paths[0].write_text(json.dumps(summary.to_dict(), indent=2) + "\n", encoding="utf-8")
    paths[1].write_text(render_markdown(summary), encoding="utf-8")
    return paths
