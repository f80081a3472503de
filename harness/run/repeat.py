"""``gameday run --repeat N``: the same scenario N times, seeds seed..seed+N-1.

Each run gets its own folder (``<run dir>/seed-<n>/``) with every report; the folder
itself gets ``repeat.json`` and ``repeat.md`` with p50 / p90 / max of TTD, TTA, TTM,
TTR (over all incidents), MTTR, score and error budget consumed
(:mod:`harness.scoring.repeat`). The exit code is the worst of the runs'.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from harness.durations import fmt_duration
from harness.exitcode import ExitCode
from harness.report.markdown import fmt_budget, table
from harness.run.runner import RunResult
from harness.scenario.model import Scenario
from harness.scoring.repeat import summarise

__all__ = ["render_repeat", "run_repeated", "write_summary"]

PlayFn = Callable[[Scenario, Path], RunResult]


def run_repeated(
    scenario: Scenario, run_dir: Path, n: int, play: PlayFn
) -> tuple[ExitCode, dict[str, Any]]:
    """Play ``n`` runs one after the other; return the worst exit code and the summary."""
    reports: list[dict[str, Any]] = []
    worst = ExitCode.OK
    for k in range(n):
        seeded = scenario.with_overrides(seed=scenario.seed + k)
        result = play(seeded, run_dir / f"seed-{seeded.seed}")
        worst = max(worst, result.exit_code)
        reports.append(json.loads((result.run_dir / "report.json").read_text(encoding="utf-8")))
        if result.score.status == "interrupted":
            break
    summary = {
        "scenario": scenario.name,
        "runs": [
            {
                "seed": r["seed"],
                "status": r["status"],
                "passed": r["passed"],
                "exit_code": r["exit_code"],
                "score": r["score"]["value"],
                "mttr_s": r["mttr_s"],
            }
            for r in reports
        ],  # fmt: skip
        "exit_code": worst,
        "distributions": summarise(reports),
    }
    write_summary(run_dir, summary)
    return worst, summary


def write_summary(run_dir: Path, summary: Mapping[str, Any]) -> None:
    """``repeat.json`` and ``repeat.md`` in ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "repeat.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    (run_dir / "repeat.md").write_text(render_repeat(summary), encoding="utf-8")


def _fmt(name: str, value: float | None) -> str:
    if value is None:
        return "—"
    if name == "error_budget_consumed":
        return fmt_budget(value)
    if name == "score":
        return f"{value:g}"
    if name == "uncertainty":
        return f"±{value:.2f}s"
    return fmt_duration(value)


def render_repeat(summary: Mapping[str, Any]) -> str:
    runs: Sequence[Mapping[str, Any]] = summary["runs"]
    lines = [f"# {summary['scenario']}: {len(runs)} runs", ""]
    lines += table(
        ["seed", "status", "passed", "score", "MTTR"],
        [[r["seed"], r["status"], r["passed"], _fmt("score", r["score"]),
          _fmt("mttr", r["mttr_s"])] for r in runs],
    )  # fmt: skip
    lines += ["", "## Distributions", ""]
    lines += table(
        ["figure", "n", "p50", "p90", "max", "missing"],
        [
            [name, d["n"], _fmt(name, d["p50"]), _fmt(name, d["p90"]),
             "missing values" if d["missing"] and d["max"] is None else _fmt(name, d["max"]),
             d["missing"]]
            for name, d in summary["distributions"].items()
        ],
    )  # fmt: skip
    return "\n".join(lines) + "\n"
