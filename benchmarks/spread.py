"""``same_seed_spread``: how far apart three runs of one scenario with one seed land.

Plays ``token-expiry`` (seed 7, its own 40x on the scaled clock: ``make bench`` passes
``--clock scaled``; on the virtual clock the spread is 0 by construction, which
``benchmarks/virtual.py`` measures) three times through the ``gameday`` command, one
after the other, and reports the spread (max - min) of the jobs submitted
(goal 0: a seed fixes the arrivals), of TTD and of TTR (goal: at most one tick, the
SLIs' resolution). The load average is recorded before and after each run: on a busy
machine the spread is the first figure to move, and the report's measurement
uncertainty (``measurement`` in report.json) says by how much it may; runs it marks
``unreliable`` are counted apart (``judged_runs``, ``ttr_spread_judged_s``).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

SCENARIO = "token-expiry"
SEED = 7
RUNS = 3
TICK_S = 10.0  # token-expiry's tick


async def _play(out: Path, scenario: str, seed: int, extra: list[str]) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "harness.cli",
        "run",
        scenario,
        "--seed",
        str(seed),
        "--out",
        str(out),
        "-q",
        *extra,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    report_file = out / "report.json"
    if not report_file.exists():
        raise RuntimeError(f"{scenario} wrote no report (exit {proc.returncode}): {err.decode()}")
    r = json.loads(report_file.read_text(encoding="utf-8"))
    incident = r["incidents"][0] if r["incidents"] else {}
    measurement = r.get("measurement") or {}
    return {
        "exit_code": proc.returncode,
        "status": r["status"],
        "submitted": r["jobs"]["submitted"],
        "ttd_s": incident.get("ttd_s"),
        "ttr_s": incident.get("ttr_s"),
        "error_budget_consumed": r["error_budget_consumed"],
        "uncertainty_s": measurement.get("uncertainty_s"),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def _spread(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    if len(known) < len(values) or not known:
        return None  # a run that did not detect or recover: no spread to speak of
    return round(max(known) - min(known), 3)


async def same_seed_spread(
    runs: int = RUNS, scenario: str = SCENARIO, seed: int = SEED, extra: list[str] | None = None
) -> dict[str, Any]:
    """Play ``scenario`` ``runs`` times with ``seed``; the spread of its headline figures."""
    with tempfile.TemporaryDirectory(prefix="qgameday-spread-") as tmp:
        played = [
            await _play(Path(tmp) / f"run-{k}", scenario, seed, extra or []) for k in range(runs)
        ]
    return {
        "scenario": scenario,
        "seed": seed,
        "runs": played,
        "submitted_spread": _spread([float(p["submitted"]) for p in played]),
        "ttd_spread_s": _spread([p["ttd_s"] for p in played]),
        "ttr_spread_s": _spread([p["ttr_s"] for p in played]),
        # the runs the instrument itself vouched for (not unreliable): what a gate sees
        "judged_runs": sum(1 for p in played if p["status"] == "completed"),
        "ttr_spread_judged_s": _spread(
            [p["ttr_s"] for p in played if p["status"] == "completed"] or [None]
        ),
        "tick_s": TICK_S,
        "load_average_1m": [p["load_average_before"] for p in played],
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(same_seed_spread()), indent=2))  # noqa: T201
