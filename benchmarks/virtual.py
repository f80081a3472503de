"""``virtual_speedup`` and ``virtual_spread``: token-expiry on the virtual clock (issue 17).

Plays ``token-expiry`` (seed 7) through the ``gameday`` command:

1. at its own 40x on the scaled clock, then on the virtual clock:
   ``virtual_speedup`` = the scaled run's scenario wall time / the virtual run's (goal
   >= 10). A run's *scenario wall time* is the wall time from the scenario clock's start
   to the end of the drain (``run.ended.wall_s - run.started.startup_s``): start-up
   (Aer workers, ~2-7 s) and the reports are the same work on either clock.
   ``virtual_speedup_command`` is the same ratio for the whole command, start-up, import
   and reports included;
2. a second virtual run: ``virtual_spread_s`` = the largest TTD or TTR difference between
   the two (goal 0), ``virtual_journals_identical`` = the journals agree record for
   record but for wall-clock fields and ports;
3. a third virtual run under a CPU hog (a busy loop on every core): ``virtual_hog_same``
   = the same TTD, TTR and journal as the first (goal: true), and its wall time.

The 1-minute load average is recorded before and after each run.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.loopback import cpu_hog
from harness.journal.store import read_journal
from harness.run.determinism import journal_difference

SCENARIO = "token-expiry"
SEED = 7


async def _play(out: Path, *clock: str) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    t0 = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "run", SCENARIO, "--seed", str(SEED),
        "--out", str(out), "-q", *clock,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    command_s = time.monotonic() - t0
    if not (out / "report.json").exists():
        raise RuntimeError(f"{SCENARIO} wrote no report (exit {proc.returncode}): {err.decode()}")
    r = json.loads((out / "report.json").read_text(encoding="utf-8"))
    records = read_journal(out / "journal.jsonl")
    started = next(x for x in records if x.get("type") == "run.started")
    ended = next(x for x in records if x.get("type") == "run.ended")
    incident = r["incidents"][0] if r["incidents"] else {}
    return {
        "clock": r["clock"],
        "exit_code": proc.returncode,
        "status": r["status"],
        "ttd_s": incident.get("ttd_s"),
        "ttr_s": incident.get("ttr_s"),
        "startup_s": round(float(started["startup_s"]), 2),
        "scenario_wall_s": round(float(ended["wall_s"]) - float(started["startup_s"]), 2),
        "command_wall_s": round(command_s, 2),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
        "journal": records,
    }


def _diff(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    """The largest TTD or TTR difference (None when only one of the runs has it)."""
    gaps: list[float] = []
    for key in ("ttd_s", "ttr_s"):
        x, y = a[key], b[key]
        if x is None or y is None:
            if x != y:
                return None
            continue
        gaps.append(abs(float(x) - float(y)))
    return round(max(gaps, default=0.0), 3)


async def virtual_figures(hog: bool = True) -> dict[str, Any]:
    """The figures above (two scaled-free virtual runs, the 40x one, the hogged one)."""
    with tempfile.TemporaryDirectory(prefix="qgameday-virtual-") as tmp:
        scaled = await _play(Path(tmp) / "scaled", "--clock", "scaled")
        first = await _play(Path(tmp) / "virtual-1", "--clock", "virtual")
        second = await _play(Path(tmp) / "virtual-2", "--clock", "virtual")
        hogged = None
        if hog:
            with cpu_hog() as cores:
                hogged = await _play(Path(tmp) / "virtual-hog", "--clock", "virtual")
            hogged["hog_cores"] = cores
    out: dict[str, Any] = {
        "scenario": SCENARIO,
        "seed": SEED,
        "virtual_speedup": round(scaled["scenario_wall_s"] / first["scenario_wall_s"], 2),
        "virtual_speedup_command": round(scaled["command_wall_s"] / first["command_wall_s"], 2),
        "virtual_spread_s": _diff(first, second),
        "virtual_journals_identical": journal_difference(first["journal"], second["journal"])
        is None,
    }
    if hogged is not None:
        same = _diff(first, hogged) == 0 and not journal_difference(
            first["journal"], hogged["journal"]
        )
        out["virtual_hog_same"] = same
        out["virtual_hog_scenario_wall_s"] = hogged["scenario_wall_s"]
    runs = {"scaled_40x": scaled, "virtual_1": first, "virtual_2": second}
    if hogged is not None:
        runs["virtual_hog"] = hogged
    out["runs"] = {k: {f: v for f, v in r.items() if f != "journal"} for k, r in runs.items()}
    return out


if __name__ == "__main__":
    print(json.dumps(asyncio.run(virtual_figures()), indent=2))  # noqa: T201
