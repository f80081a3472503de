"""Console output of a run: live progress while it plays, a summary table at the end.

On a terminal, a one-line live status (rich) is redrawn every tick. Elsewhere (CI logs)
a plain line is printed at every 10% of the scenario and whenever the set of active
faults changes, so logs stay short and readable.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.durations import fmt_duration
from harness.load.seam import WorkloadCounts
from harness.report.markdown import fmt_budget, gate_threshold, gate_value, uncertainty
from harness.scoring import MISSED_STATUSES

__all__ = ["ConsoleProgress", "Snapshot", "print_summary"]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Live state for progress output, taken every tick."""

    t: float
    duration: float
    phase: str
    jobs: WorkloadCounts
    active_faults: tuple[str, ...]
    alerts: int
    queue_depth: int


def _line(s: Snapshot) -> str:
    faults = ", ".join(s.active_faults) or "none"
    c = s.jobs
    return (
        f"{_clock(s.t)} / {_clock(s.duration)} {s.phase:<7} | jobs {c.submitted} "
        f"ok {c.ok} failed {c.failed} outstanding {c.outstanding} | queue {s.queue_depth} "
        f"| faults: {faults} | alerts {s.alerts}"
    )


def _clock(seconds: float) -> str:
    m, sec = divmod(int(seconds), 60)
    return f"{m:02d}:{sec:02d}"


class ConsoleProgress:
    """Callable progress sink for :func:`harness.run.runner.run_game_day`; use as a context."""

    def __init__(self, console: Console, title: str) -> None:
        self._console = console
        self._title = title
        self._live: Live | None = None
        self._next_pct = 0.0
        self._faults: tuple[str, ...] = ()

    def __enter__(self) -> ConsoleProgress:
        # a quiet console (--quiet, or the responder owning the terminal) must not start
        # a Live: it redirects stdout into the quiet console, and everything printed
        # during the run vanished (issue 13: no page, no answer in --interactive)
        if self._console.is_terminal and not self._console.quiet:
            self._live = Live(Text(f"{self._title}: starting..."), console=self._console)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(None, None, None)

    def __call__(self, snap: Snapshot) -> None:
        if self._live is not None:
            style = "bold red" if snap.active_faults else "green"
            self._live.update(Text(f"{self._title}  " + _line(snap), style=style))
            return
        pct = snap.t / snap.duration if snap.duration else 1.0
        if pct >= self._next_pct or snap.active_faults != self._faults:
            self._console.print(_line(snap), highlight=False, soft_wrap=True)
            while self._next_pct <= pct:
                self._next_pct += 0.1
            self._faults = snap.active_faults


def _ttr(i: Mapping[str, Any]) -> str:
    if not i["impact"]:
        return "no impact"
    return fmt_duration(i["ttr_s"]) if i["ttr_s"] is not None else "[red]not recovered[/]"


def print_summary(console: Console, r: Mapping[str, Any], run_dir: str) -> None:
    """Verdict, incidents, ledger and gates of a report (``report.json`` data)."""
    verdict = {True: "[bold green]PASSED[/]", False: "[bold red]FAILED[/]"}[r["passed"]]
    if r["status"] != "completed":
        verdict = f"[bold yellow]{escape(r['status'].upper())}[/] ({escape(str(r['reason']))})"
    console.print(f"\nGame day [bold]{escape(str(r['scenario']))}[/]: {verdict}")
    if r["incidents"]:
        t = Table(title="Incidents", title_justify="left")
        for col in ("fault", "kind", "start", "TTD", "TTM", "TTR"):
            t.add_column(col)
        for i in r["incidents"]:
            t.add_row(
                Text(str(i["fault"])),
                Text(str(i["kind"])),
                fmt_duration(i["start_s"]),
                fmt_duration(i["ttd_s"]) if i["detected"] else "[red]not detected[/]",
                fmt_duration(i["ttm_s"]) if i["ttm_s"] is not None else "not mitigated",
                _ttr(i),
            )
        console.print(t)
    j = r["jobs"]
    console.print(
        f"Jobs: {j['submitted']} submitted, {j['ok']} ok, {j['failed']} failed, "
        f"{j['wrong']} wrong, {j['indeterminate']} indeterminate, {j['lost']} lost, "
        f"{j['duplicated']} duplicated, {j['unexpected']} unexpected. "
        f"MTTR {fmt_duration(r['mttr_s']) if r['mttr_s'] is not None else 'n/a'}; "
        f"error budget consumed {fmt_budget(r['error_budget_consumed'])}.",
        highlight=False,
    )
    if r["gates"]:
        t = Table(title="Gates", title_justify="left")
        for col in ("gate", "rule", "value", "result"):
            t.add_column(col)
        for g in r["gates"]:
            result = {True: "[green]pass[/]", False: "[bold red]FAIL[/]"}.get(
                g["passed"], "not evaluated"
            )
            if r["status"] == "unreliable":
                result = "not judged"
            t.add_row(Text(g["name"]), f"{g['op']} {gate_threshold(g)}", gate_value(g), result)
        console.print(t)
    console.print(f"Measurement uncertainty {uncertainty(r)}.", highlight=False)
    score = r["score"]["value"]
    if score is not None:
        console.print(f"Resilience score {score:.0f}/100.", highlight=False)
    missed = [s["id"] for s in r["runbook"] if s["status"] in MISSED_STATUSES]
    if missed:
        console.print(Text(f"Runbook steps not done in time: {', '.join(missed)}"), highlight=False)
    console.print(
        Text(f"Reports: {run_dir}/ (report.html, report.md, report.json, junit.xml, journal.jsonl)")
    )
    console.print(f"Exit code {r['exit_code']}")
