"""``gameday compare BASELINE CURRENT``: what got worse between two runs, beyond noise.

Each side is a ``report.json``, a run folder holding one, or a folder of several runs
(``run --repeat N`` writes ``seed-<n>/``; ``--check-determinism`` writes ``a/``, ``b/``):
then each figure is the median of its runs. Every gated figure of CURRENT is compared
with BASELINE in the gate's direction (``max``: higher is worse; ``min``: lower is
worse). A figure regressed when it got worse by more than all of:

- ``--tolerance`` (relative, default 10%) and ``--min-change`` (absolute, default 0);
- the **noise**: the spread (max - min) of the figure over each side's runs, plus for
  durations the two sides' measurement uncertainties (``measurement.uncertainty_s`` of
  report.json: the p99 lag of the instrument itself). A change within the noise is
  reported as ``within noise``, never as a regression;

or when it went missing ("not detected", "not recovered"). A "no impact" incident's
missing TTR counts as 0. Exit code 1 if anything regressed, else 0. An ``unreliable``
side is compared (with its larger uncertainty) and flagged in the output.
"""

from __future__ import annotations

import argparse
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.commands.common import add_command, read_json
from harness.durations import fmt_duration
from harness.errors import ConfigError
from harness.exitcode import ExitCode
from harness.report.markdown import gate_value

Report = Mapping[str, Any]


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "compare",
        execute,
        help="compare two runs (or sets of runs); exit 1 if a gated figure regressed",
        description=__doc__,
    )
    p.add_argument("baseline", type=Path, help="report.json, its run folder, or a --repeat folder")
    p.add_argument("current", type=Path, help="report.json, its run folder, or a --repeat folder")
    p.add_argument("--tolerance", type=float, default=0.10, help="relative (default 0.10)")
    p.add_argument("--min-change", type=float, default=0.0, help="absolute (default 0)")


def load(path: Path) -> dict[str, Any]:
    """One ``report.json`` (a file or the run folder holding it)."""
    file = path / "report.json" if path.is_dir() else path
    data = read_json(file, str(file))
    if not isinstance(data, dict) or "gates" not in data:
        raise ConfigError(f"{file} is not a qgameday report.json")
    return data


def load_side(path: Path) -> list[dict[str, Any]]:
    """The reports of one side: one run, or every run in a folder of runs."""
    if path.is_dir() and not (path / "report.json").exists():
        runs = sorted(p for p in path.iterdir() if (p / "report.json").is_file())
        if not runs:
            raise ConfigError(f"{path} holds no report.json, nor run folders with one")
        return [load(p) for p in runs]
    return [load(path)]


@dataclass(frozen=True, slots=True)
class Figure:
    """One gated figure over a side's runs: the median, the spread, the uncertainty."""

    value: float | None
    spread: float
    uncertainty: float
    gate: Mapping[str, Any]


def _value(g: Mapping[str, Any]) -> float | None:
    if g["value"] is None and g.get("note") == "no impact":
        return 0.0  # nothing to recover from: the best a figure can be
    return None if g["value"] is None else float(g["value"])


def figures(reports: Sequence[Report]) -> dict[str, Figure]:
    """Each gate's figure over ``reports`` (missing in any run: missing)."""
    out: dict[str, Figure] = {}
    names = [g["name"] for g in reports[0]["gates"]]
    for name in names:
        gates = [g for r in reports for g in r["gates"] if g["name"] == name]
        values = [_value(g) for g in gates]
        known = [v for v in values if v is not None]
        missing = len(known) < len(values)
        u = max(float((r.get("measurement") or {}).get("uncertainty_s") or 0.0) for r in reports)
        out[name] = Figure(
            value=None if missing or not known else statistics.median(known),
            spread=max(known) - min(known) if known else 0.0,
            uncertainty=u if gates[0]["unit"] == "s" else 0.0,
            gate=gates[0],
        )
    return out


def regressions(
    base: Report | Sequence[Report],
    cur: Report | Sequence[Report],
    tolerance: float,
    min_change: float,
) -> list[tuple[str, Figure | None, Figure, str]]:
    """(gate, baseline figure, current figure, verdict) per gated figure of ``cur``."""
    old = figures([base] if isinstance(base, Mapping) else base)
    new = figures([cur] if isinstance(cur, Mapping) else cur)
    return [(name, old.get(name), f, _verdict(old.get(name), f, tolerance, min_change))
            for name, f in new.items()]  # fmt: skip


def noise(b: Figure, c: Figure) -> float:
    """How much a figure moves between runs of the same code: spreads + uncertainties."""
    return b.spread + c.spread + b.uncertainty + c.uncertainty


def _verdict(b: Figure | None, c: Figure, tol: float, min_change: float) -> str:
    if b is None:
        return "new"
    before, after = b.value, c.value
    if after is None:
        return "same" if before is None else "REGRESSED"
    if before is None:
        return "improved"
    worse = after - before if c.gate["op"] == "max" else before - after
    allowed = max(min_change, tol * abs(before))
    jitter = noise(b, c)
    if worse > max(allowed, jitter):
        return "REGRESSED"
    if worse > allowed:
        return "within noise"  # it would be a regression if the runs were exact
    if -worse > max(allowed, jitter):
        return "improved"
    return "same"


def _show(f: Figure | None) -> str:
    if f is None:
        return "—"
    text = gate_value({**f.gate, "value": f.value}) if f.value is not None else gate_value(f.gate)
    return text + (f" (spread {_amount(f, f.spread)})" if f.spread else "")


def _amount(f: Figure, x: float) -> str:
    return fmt_duration(x) if f.gate["unit"] == "s" else f"{x:g}"


def execute(args: argparse.Namespace, console: Console) -> int:
    if args.tolerance < 0 or args.min_change < 0:
        raise ConfigError("--tolerance and --min-change must not be negative")
    base, cur = load_side(args.baseline), load_side(args.current)
    rows = regressions(base, cur, args.tolerance, args.min_change)
    title = f"{base[0]['scenario']} ({len(base)} run(s)) -> {cur[0]['scenario']} ({len(cur)})"
    table = Table(title=escape(title), title_justify="left")
    for col in ("gate", "rule", "baseline", "current", "noise ±", "verdict"):
        table.add_column(col)
    for name, b, c, verdict in rows:
        style = {"REGRESSED": "bold red", "improved": "green", "within noise": "yellow"}
        colour = style.get(verdict, "")
        table.add_row(
            escape(name),
            f"{c.gate['op']} {c.gate['threshold']:g}",
            _show(b),
            _show(c),
            _amount(c, noise(b, c)) if b is not None else "—",
            f"[{colour}]{verdict}[/]" if colour else verdict,
        )
    console.print(table)
    for side, reports in (("baseline", base), ("current", cur)):
        if any(r.get("status") == "unreliable" for r in reports):
            console.print(f"[yellow]The {side} holds an unreliable run:[/] its figures are wide.")
    quiet = [name for name, _, _, verdict in rows if verdict == "within noise"]
    if quiet:
        console.print(
            f"Within noise (worse, but by less than the runs' spread and measurement "
            f"uncertainty): {', '.join(quiet)}. Not a regression."
        )
    worse = [name for name, _, _, verdict in rows if verdict == "REGRESSED"]
    if worse:
        console.print(f"[bold red]Regressed:[/] {escape(', '.join(worse))}")
        return ExitCode.GATE_FAILED
    console.print("No gated figure regressed.")
    return ExitCode.OK
