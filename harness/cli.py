"""The ``gameday`` command.

    gameday run SCENARIO [--time-scale X] [--seed N] [--out DIR]   play a game day
    gameday validate SCENARIO...                                   check scenario files
    gameday list                                                   the scenario catalogue
    gameday report RUN_DIR                                         rebuild reports from a journal

SCENARIO is a path to a YAML file or the name of one in ``scenarios/``. Exit codes:
0 all gates pass, 1 a gate failed, 2 aborted or steady state not reached, 3 scenario or
configuration error, 4 harness internal error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from harness.errors import ConfigError, GamedayError, ScenarioError
from harness.observe import read_journal
from harness.scenario import Scenario, find_scenario, list_scenarios, load_scenario

__all__ = ["main"]

EXIT_SCENARIO = 3
EXIT_INTERNAL = 4


def _scenarios_dir(args: argparse.Namespace) -> Path:
    return Path(args.scenarios_dir or os.environ.get("GAMEDAY_SCENARIOS", "scenarios"))


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gameday",
        description="Chaos game days for quantum job orchestrators.",
        epilog="Exit codes: 0 pass, 1 gate failed, 2 aborted or invalid, 3 bad scenario, "
        "4 internal error.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="run a game day", description="Run one game day and score it.")
    run.add_argument("scenario", help="scenario file, or a name in the scenarios folder")
    run.add_argument("--time-scale", type=float, help="scenario seconds per wall second")
    run.add_argument("--seed", type=int, help="random seed (workload, backends, noise)")
    run.add_argument("--out", type=Path, help="run folder (default reports/<scenario>-<UTC time>)")
    run.add_argument(
        "--reports-dir", type=Path, default=Path("reports"), help="parent of run folders"
    )
    run.add_argument("--scenarios-dir", help="where scenario names are looked up")
    run.add_argument("--workers", type=int, help="Aer worker processes (default: CPUs, max 4)")
    run.add_argument("-q", "--quiet", action="store_true", help="no live progress")

    val = sub.add_parser("validate", help="check scenario files", description="Validate scenarios.")
    val.add_argument("scenarios", nargs="+", help="scenario files or names")
    val.add_argument("--scenarios-dir", help="where scenario names are looked up")

    lst = sub.add_parser("list", help="list scenarios", description="List the scenario catalogue.")
    lst.add_argument("--scenarios-dir", help="folder to list (default scenarios/)")

    rep = sub.add_parser(
        "report",
        help="rebuild reports from a run's journal",
        description="Score RUN_DIR/journal.jsonl again and rewrite every report "
        "(works for killed runs too).",
    )
    rep.add_argument("run_dir", type=Path)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    console = Console(highlight=False)
    err = Console(stderr=True, highlight=False)
    try:
        handler = {"run": _run, "validate": _validate, "list": _list, "report": _report}
        return handler[args.command](args, console)
    except (ScenarioError, ConfigError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return EXIT_SCENARIO
    except GamedayError as exc:
        err.print(f"[red]error:[/] {exc}")
        return EXIT_INTERNAL


def _load(name: str, args: argparse.Namespace) -> Scenario:
    return load_scenario(find_scenario(name, _scenarios_dir(args)))


def _run(args: argparse.Namespace, console: Console) -> int:
    from harness.progress import ConsoleProgress, print_summary
    from harness.runner import new_run_dir, run_game_day

    if args.time_scale is not None and args.time_scale <= 0:
        raise ConfigError(f"--time-scale must be positive, found {args.time_scale}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, found {args.workers}")
    scenario = _load(args.scenario, args).with_overrides(time_scale=args.time_scale, seed=args.seed)
    run_dir = args.out or new_run_dir(args.reports_dir, scenario.name)
    wall = scenario.duration / scenario.time_scale
    console.print(
        f"Game day [bold]{scenario.name}[/]: {len(scenario.faults)} fault(s), "
        f"{scenario.duration / 60:g} scenario minutes at {scenario.time_scale:g}x "
        f"(~{wall:.0f}s wall + start-up and drain). Reports: {run_dir}/"
    )

    async def play() -> int:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        if task is not None:
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        quiet = Console(quiet=True) if args.quiet else console
        with ConsoleProgress(quiet, scenario.name) as progress:
            result = await run_game_day(scenario, run_dir, progress=progress, workers=args.workers)
        report = json.loads((result.run_dir / "report.json").read_text(encoding="utf-8"))
        print_summary(console, report, str(result.run_dir))
        return result.exit_code

    return asyncio.run(play())


def _validate(args: argparse.Namespace, console: Console) -> int:
    worst = 0
    for name in args.scenarios:
        try:
            s = _load(name, args)
        except ScenarioError as exc:
            console.print(f"[red]invalid[/] {exc}")
            worst = EXIT_SCENARIO
            continue
        console.print(
            f"[green]ok[/] {s.file}: {s.name} ({len(s.backends)} backend(s), "
            f"{len(s.faults)} fault(s), {len(s.gates)} gate(s))"
        )
    return worst


def _list(args: argparse.Namespace, console: Console) -> int:
    folder = _scenarios_dir(args)
    if not folder.is_dir():
        raise ConfigError(f"no scenarios folder at {folder} (use --scenarios-dir)")
    table = Table(title=f"Scenarios in {folder}", title_justify="left")
    table.add_column("name", style="bold")
    table.add_column("description")
    for name, description, _ in list_scenarios(folder):
        table.add_row(name, description)
    console.print(table)
    return 0


def _report(args: argparse.Namespace, console: Console) -> int:
    from harness.progress import print_summary
    from harness.report import write_reports
    from harness.scoring import exit_code

    journal = args.run_dir / "journal.jsonl"
    if not journal.is_file():
        raise ConfigError(f"no journal at {journal}")
    try:
        records = read_journal(journal)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    result, _ = write_reports(args.run_dir, records)
    report = json.loads((args.run_dir / "report.json").read_text(encoding="utf-8"))
    print_summary(console, report, str(args.run_dir))
    return exit_code(result)


if __name__ == "__main__":
    sys.exit(main())
