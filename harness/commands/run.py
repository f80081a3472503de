"""``gameday run SCENARIO``: play one game day and score it."""

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
    p.add_argument("-q", "--quiet", action="store_true", help="no live progress")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.netchaos.links import TOXIPROXY_URL_ENV, check_toxiproxy
    from harness.progress import ConsoleProgress, print_summary
    from harness.runner import new_run_dir, run_game_day

    if args.time_scale is not None and args.time_scale <= 0:
        raise ConfigError(f"--time-scale must be positive, found {args.time_scale}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, found {args.workers}")
    scenario = load_named(args.scenario, args).with_overrides(
        time_scale=args.time_scale, seed=args.seed
    )
    if toxiproxy := os.environ.get(TOXIPROXY_URL_ENV):  # a bad one is a config error (exit 3)
        asyncio.run(check_toxiproxy(toxiproxy))
    run_dir = args.out or new_run_dir(args.reports_dir, scenario.name)
    wall = scenario.duration / scenario.time_scale
    console.print(
        f"Game day [bold]{scenario.name}[/]: {len(scenario.faults)} fault(s), "
        f"{scenario.duration / 60:g} scenario minutes at {scenario.time_scale:g}x "
        f"(~{wall:.0f}s wall + start-up and drain). Reports: {run_dir}/"
    )

    async def play() -> int:
        task = asyncio.current_task()
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        live = Console(quiet=True) if args.quiet else console
        with ConsoleProgress(live, scenario.name) as progress:
            result = await run_game_day(scenario, run_dir, progress=progress, workers=args.workers)
        report = json.loads((result.run_dir / "report.json").read_text(encoding="utf-8"))
        print_summary(console, report, str(result.run_dir))
        return result.exit_code

    return asyncio.run(play())
