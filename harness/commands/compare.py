"""``gameday compare BASELINE CURRENT``: what got worse between two reports.

Each side is a ``report.json`` or a run folder holding one. Every gated figure of the
current report (its ``gates``) is compared with the same figure in the baseline, in
the gate's direction (``max``: higher is worse; ``min``: lower is worse). A figure
regressed when it got worse by more than ``--tolerance`` (relative, default 10%) and
more than ``--min-change`` (absolute, default 0), or when it went missing ("not
detected", "not recovered"). Exit code 1 if anything regressed, else 0.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError
from harness.exitcode import ExitCode
from harness.report.markdown import gate_value


def register(sub: Any) -> None:
    p = sub.add_parser(
        "compare",
        help="compare two reports; exit 1 if a gated figure regressed",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("baseline", type=Path, help="report.json (or its run folder)")
    p.add_argument("current", type=Path, help="report.json (or its run folder)")
    p.add_argument("--tolerance", type=float, default=0.10, help="relative (default 0.10)")
    p.add_argument("--min-change", type=float, default=0.0, help="absolute (default 0)")
    p.set_defaults(func=execute)


def load(path: Path) -> dict[str, Any]:
    file = path / "report.json" if path.is_dir() else path
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}") from None
    except ValueError as exc:
        raise ConfigError(f"{file} is not JSON: {exc}") from None
    if not isinstance(data, dict) or "gates" not in data:
        raise ConfigError(f"{file} is not a qgameday report.json")
    return data


def regressions(
    base: dict[str, Any], cur: dict[str, Any], tolerance: float, min_change: float
) -> list[tuple[str, dict[str, Any] | None, dict[str, Any], str]]:
    """(gate, baseline gate, current gate, verdict) per gated figure of ``cur``."""
    old = {g["name"]: g for g in base["gates"]}
    out = []
    for g in cur["gates"]:
        b = old.get(g["name"])
        out.append((g["name"], b, g, _verdict(b, g, tolerance, min_change)))
    return out


def _verdict(b: dict[str, Any] | None, g: dict[str, Any], tol: float, min_change: float) -> str:
    if b is None:
        return "new"
    before, after = b["value"], g["value"]
    if after is None:
        return "same" if before is None else "REGRESSED"
    if before is None:
        return "improved"
    worse = after - before if g["op"] == "max" else before - after
    if worse > max(min_change, tol * abs(before)):
        return "REGRESSED"
    better = -worse
    return "improved" if better > max(min_change, tol * abs(before)) else "same"


def execute(args: argparse.Namespace, console: Console) -> int:
    if args.tolerance < 0 or args.min_change < 0:
        raise ConfigError("--tolerance and --min-change must not be negative")
    base, cur = load(args.baseline), load(args.current)
    rows = regressions(base, cur, args.tolerance, args.min_change)
    table = Table(title=f"{base['scenario']} -> {cur['scenario']}", title_justify="left")
    for col in ("gate", "rule", "baseline", "current", "verdict"):
        table.add_column(col)
    for name, b, g, verdict in rows:
        style = {"REGRESSED": "bold red", "improved": "green"}.get(verdict, "")
        table.add_row(
            name,
            f"{g['op']} {g['threshold']:g}",
            gate_value(b) if b is not None else "—",
            gate_value(g),
            f"[{style}]{verdict}[/]" if style else verdict,
        )
    console.print(table)
    worse = [name for name, _, _, verdict in rows if verdict == "REGRESSED"]
    if worse:
        console.print(f"[bold red]Regressed:[/] {', '.join(worse)}")
        return ExitCode.GATE_FAILED
    console.print("No gated figure regressed.")
    return ExitCode.OK
