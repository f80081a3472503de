"""``gameday run SCENARIO``: play one game day (or ``--repeat N``) and score it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.commands.common import add_scenarios_dir, load_named
from harness.errors import ConfigError


def register(sub: Any) -> None:
    p = sub.add_parser("run", help="run a game day", description="Run one game day and score it.")
    p.add_argument("scenario", help="scenario file, or a name in the scenarios folder")
    p.add_argument("--time-scale", type=float, help="scenario seconds per wall second")
    p.add_argument("--seed", type=int, help="random seed (workload, backends, noise)")
    p.add_argument("--out", type=Path, help="run folder (default reports/<scenario>-<UTC time>)")
    p.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="parent of run folders"
    )
    add_scenarios_dir(p)
    p.add_argument("--workers", type=int, help="Aer worker processes (default: CPUs, max 4)")
    p.add_argument(
        "--repeat",
        type=int,
        default=1,
        metavar="N",
        help="run N times with seeds seed..seed+N-1; repeat.md has p50/p90/max of each duration",
    )
    p.add_argument(
        "--interactive",
        action="store_true",
        help="human game day: you are paged here and type runbook step ids as you act",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no live progress")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.netchaos.links import TOXIPROXY_URL_ENV, check_toxiproxy
    from harness.run.progress import ConsoleProgress, print_summary
    from harness.run.repeat import render_repeat, run_repeated
    from harness.run.runner import RunResult, new_run_dir, run_game_day
    from harness.scenario.model import Scenario

    if args.time_scale is not None and args.time_scale <= 0:
        raise ConfigError(f"--time-scale must be positive, found {args.time_scale}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, found {args.workers}")
    if args.repeat < 1:
        raise ConfigError(f"--repeat must be at least 1, found {args.repeat}")
    if args.repeat > 1 and args.interactive:
        raise ConfigError("--interactive plays one game day; drop --repeat")
    scenario = load_named(args.scenario, args).with_overrides(
        time_scale=args.time_scale, seed=args.seed
    )
    if toxiproxy := os.environ.get(TOXIPROXY_URL_ENV):  # a bad one is a config error (exit 3)
        asyncio.run(check_toxiproxy(toxiproxy))
    run_dir = args.out or new_run_dir(args.reports_dir, scenario.name)
    wall = scenario.duration / scenario.time_scale
    runs = f"{args.repeat} runs of " if args.repeat > 1 else ""
    console.print(
        f"Game day [bold]{scenario.name}[/]: {runs}{len(scenario.faults)} fault(s), "
        f"{scenario.duration / 60:g} scenario minutes at {scenario.time_scale:g}x "
        f"(~{wall:.0f}s wall + start-up and drain). Reports: {run_dir}/"
    )
    if args.interactive:
        console.print(
            "Interactive: you will be paged here. Type a runbook step's id when you did it "
            "(status, steps, help)."
        )

    async def one(s: Scenario, folder: Path) -> RunResult:
        live = Console(quiet=True) if args.quiet or args.interactive else console
        with ConsoleProgress(live, s.name) as progress:
            result = await run_game_day(
                s, folder, progress=progress, workers=args.workers, interactive=args.interactive
            )
        report = json.loads((result.run_dir / "report.json").read_text(encoding="utf-8"))
        print_summary(console, report, str(result.run_dir))
        return result

    async def play() -> int:
        task = asyncio.current_task()
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        if args.repeat == 1:
            return (await one(scenario, run_dir)).exit_code
        code, summary = await run_repeated(scenario, run_dir, args.repeat, one)
        console.print(render_repeat(summary), markup=False, highlight=False)
        console.print(f"Repeat summary: {run_dir}/repeat.md, repeat.json. Exit code {code}")
        return code

    return asyncio.run(play())
