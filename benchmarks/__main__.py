"""``python -m benchmarks --out reports/bench.json``: measure and write the figures.

Every figure is a ratio against a baseline measured in the same run, on the same
machine, because these machines are noisy. The machine is recorded alongside.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.drift import drift_rebuild
from benchmarks.execution import exec_ratio
from benchmarks.ibm import ibm_figures
from benchmarks.ionq import ionq_figures
from benchmarks.load import load_figures
from benchmarks.loopback import loopback_late
from benchmarks.proxy import proxy_figures
from benchmarks.spread import TICK_S, same_seed_spread
from benchmarks.status import status_ratio
from benchmarks.virtual import virtual_figures


async def _measure(quick: bool) -> dict[str, Any]:
    return {
        "exec": await exec_ratio(jobs=100 if quick else 500),
        "proxy": await proxy_figures(
            bulk_mb=32 if quick else 256, round_trips=1000 if quick else 10_000
        ),
        "status": await status_ratio(seconds=3 if quick else 10),
        "drift": await drift_rebuild(steps=3 if quick else 10),
        "load": await load_figures(seconds=3.0 if quick else 8.0),
        "ibm": await ibm_figures(jobs=100 if quick else 500),
        "ionq": await ionq_figures(jobs=100 if quick else 500),
        "loopback": await asyncio.to_thread(
            loopback_late, sends=20_000 if quick else 100_000, connects=500 if quick else 2_000
        ),
        # last: whole game days (~3 minutes); --quick plays two scaled ones, no hog
        "spread": await same_seed_spread(runs=2 if quick else 3, extra=["--clock", "scaled"]),
        "virtual": await virtual_figures(hog=not quick),
    }


def _goals(figures: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each figure that has a goal in an issue, against it, with how far off a miss is."""
    checks = [
        ("exec_ratio", figures["exec"]["exec_ratio"], ">=", 0.7),
        ("loop_stall_max_ms", figures["exec"]["loop_stall_max_ms"], "<=", 20.0),
        ("status_ratio", figures["status"]["status_ratio"], ">=", 0.6),
        ("drift_rebuild_s_127q", figures["drift"]["drift_rebuild_s_127q"], "<=", 0.2),
        ("proxy_ratio", figures["proxy"]["proxy_ratio"], ">=", 0.8),
        ("proxy_added_latency_p50_ms", figures["proxy"]["proxy_added_latency_p50_ms"], "<=", 0.3),
        # issue 12: a seed fixes the jobs; TTD and TTR move by at most one tick
        ("same_seed_submitted_spread", figures["spread"]["submitted_spread"], "<=", 0.0),
        ("same_seed_ttd_spread_s", figures["spread"]["ttd_spread_s"], "<=", TICK_S),
        ("same_seed_ttr_spread_s", figures["spread"]["ttr_spread_s"], "<=", TICK_S),
        ("ibm_ratio", figures["ibm"]["ibm_ratio"], ">=", 0.8),
        ("ionq_ratio", figures["ionq"]["ionq_ratio"], ">=", 0.8),  # issue 11
        # issue 17: the virtual clock is fast and exact; loopback data is never in flight
        ("virtual_speedup", figures["virtual"]["virtual_speedup"], ">=", 10.0),
        ("virtual_spread_s", figures["virtual"]["virtual_spread_s"], "<=", 0.0),
        ("loopback_late_quiet", figures["loopback"]["late_quiet"], "<=", 0.0),
        ("loopback_late_hog", figures["loopback"]["late_hog"], "<=", 0.0),
    ]
    if "virtual_hog_same" in figures["virtual"]:
        checks.append(
            ("virtual_hog_same", float(figures["virtual"]["virtual_hog_same"]), ">=", 1.0)
        )
    out = {}
    for name, value, op, goal in checks:
        if value is None:  # e.g. a run that did not recover: no spread to measure
            out[name] = {"value": None, "goal": f"{op} {goal:g}", "met": False}
            continue
        met = value >= goal if op == ">=" else value <= goal
        out[name] = {"value": value, "goal": f"{op} {goal:g}", "met": met}
        if not met:
            out[name]["off_by"] = round(abs(value - goal), 3)
    return out


def main() -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("reports/bench.json"))
    p.add_argument("--quick", action="store_true", help="smaller workloads (smoke test)")
    args = p.parse_args()
    figures = asyncio.run(_measure(args.quick))
    doc = {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_1m": round(os.getloadavg()[0], 2),  # other work on the machine
        },
        **figures,
        "goals": _goals(figures),  # issues 3, 12 and 17
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
