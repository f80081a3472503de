"""``gameday run SCENARIO``: play one game day (or ``--repeat N``) and score it.

Each game day plays in an event loop of its own: a :class:`~plumbing.virtual.
VirtualEventLoop` on the virtual clock (virtual time from 0 in every run, so two runs
of a seed are the same run), an ordinary one on the scaled clock. Which clock is
decided by the scenario and ``--clock`` (:mod:`harness.scenario.clock`) and printed.

``--check-determinism`` plays it twice with the same seed (``<out>/a``, ``<out>/b``) and
exits 1 at the first difference, printing it; 0 when they agree. On the virtual clock
the two journals must be identical but for wall-clock fields and ports; on the scaled
clock, the harness-side inputs (jobs, their due times, faults:
:mod:`harness.run.determinism`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from harness.commands.common import add_command, add_scenarios_dir, load_named
from harness.errors import ConfigError
from plumbing import virtual

if TYPE_CHECKING:
    from harness.run.runner import RunResult
    from harness.scenario.model import Scenario


def register(sub: Any) -> None:
    p = add_command(
        sub, "run", execute, help="run a game day", description="Run one game day and score it."
    )
    p.add_argument("scenario", help="scenario file, or a name in the scenarios folder")
    p.add_argument(
        "--clock",
        choices=("virtual", "scaled"),
        help="virtual: time jumps over idle time (every part in process; the default where "
        "it can); scaled: wall time x time scale (default for Locust, http targets, shell "
        "steps, TOXIPROXY_URL, --interactive)",
    )
    p.add_argument(
        "--time-scale",
        type=float,
        help="scenario seconds per wall second, on the scaled clock (implies --clock scaled)",
    )
    p.add_argument("--seed", type=int, help="random seed (workload, backends, noise)")
    p.add_argument(
        "--lag-tolerance",
        type=float,
        metavar="SECONDS",
        help="measurement lag (p99, scenario s) a run tolerates before it is unreliable "
        "(default: the scenario's scoring.lag_tolerance, else one tick)",
    )
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
    p.add_argument(
        "--check-determinism",
        action="store_true",
        help="run twice with the same seed; exit 1 at the first harness-side difference",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no live progress")


def _announce_webhook(scenario: Any, console: Console) -> None:
    """An http SUT is configured by hand: say where to page, with this run's secret."""
    from harness.sut.wiring import SECRET_ENV, new_secret, with_token

    secret = os.environ[SECRET_ENV] = new_secret()  # the runner reads the same one
    base = f"http://127.0.0.1:{scenario.target.webhook_port}"
    console.print(
        f"Alert webhook for your SUT: {with_token(base + '/alerts', secret)}\n"
        f"Mitigation events: {with_token(base + '/events', secret)} "
        f"(or export {SECRET_ENV} before the run; `gameday env` prints the whole wiring)",
        soft_wrap=True,
    )


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.netchaos.links import TOXIPROXY_URL_ENV, check_toxiproxy
    from harness.run.repeat import render_repeat, run_repeated
    from harness.run.runner import new_run_dir
    from harness.scenario.checks import scenario_warnings
    from harness.scenario.clock import settle_clock

    if args.time_scale is not None and not 0 < args.time_scale <= 100_000:  # NaN too
        raise ConfigError(f"--time-scale must be in (0, 100000], found {args.time_scale}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, found {args.workers}")
    if args.repeat < 1:
        raise ConfigError(f"--repeat must be at least 1, found {args.repeat}")
    if args.repeat > 1 and args.interactive:
        raise ConfigError("--interactive plays one game day; drop --repeat")
    if args.check_determinism and (args.repeat > 1 or args.interactive):
        raise ConfigError("--check-determinism plays its own two runs; drop --repeat/--interactive")
    if args.lag_tolerance is not None and not args.lag_tolerance > 0:
        raise ConfigError(f"--lag-tolerance must be positive, found {args.lag_tolerance}")
    scenario = load_named(args.scenario, args).with_overrides(
        time_scale=args.time_scale,
        seed=args.seed,
        lag_tolerance=args.lag_tolerance,
        clock=args.clock,
    )
    if args.check_determinism and scenario.workload.engine == "locust":
        raise ConfigError(
            "--check-determinism needs the built-in workload: Locust users are closed-loop "
            "(when a user submits depends on the SUT's answers), so their jobs are not "
            "fixed by the seed"
        )
    toxiproxy = os.environ.get(TOXIPROXY_URL_ENV)
    scenario, clock = settle_clock(
        scenario, interactive=args.interactive, toxiproxy_url=toxiproxy or None
    )
    scaled = scenario.clock == "scaled"
    if scaled and scenario.safe_time_scale is not None:
        if scenario.time_scale > scenario.safe_time_scale:
            console.print(
                f"[yellow]warning:[/] {scenario.time_scale:g}x is above this scenario's safe "
                f"{scenario.safe_time_scale:g}x: on a busy machine the run may end unreliable"
            )
    if toxiproxy:  # a bad one is a config error (exit 3)
        asyncio.run(check_toxiproxy(toxiproxy))
    run_dir = args.out or new_run_dir(args.reports_dir, scenario.name)
    runs = f"{args.repeat} runs of " if args.repeat > 1 else ""
    runs = "2 same-seed runs of " if args.check_determinism else runs
    pace = (
        f"~{scenario.duration / scenario.time_scale:.0f}s wall + start-up and drain"
        if scaled
        else "as fast as the machine allows"
    )
    console.print(
        f"Game day [bold]{escape(scenario.name)}[/]: {runs}{len(scenario.faults)} fault(s), "
        f"{scenario.duration / 60:g} scenario minutes, clock {escape(clock)} ({pace}). "
        f"Reports: {escape(str(run_dir))}/"
    )
    if scenario.target.kind == "http":
        _announce_webhook(scenario, console)
    for warning in scenario_warnings(scenario):
        console.print(Text.assemble(("warning", "yellow"), f" {scenario.file}: {warning}"))
    on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
    if args.interactive:
        console.print(
            "Interactive: you will be paged here. Commands: ack, a runbook step's id when "
            "you did it, steps, status, history, help, quit."
            + (" The status line is under the prompt." if on_terminal else "")
        )

    def one(s: Scenario, folder: Path) -> RunResult:
        return _play(s, folder, args, console)

    if args.check_determinism:
        return check_determinism(scenario, run_dir, one, console)
    if args.repeat == 1:
        return one(scenario, run_dir).exit_code
    code, summary = run_repeated(scenario, run_dir, args.repeat, one)
    console.print(render_repeat(summary), markup=False, highlight=False)
    console.print(
        f"Repeat summary: {escape(str(run_dir))}/repeat.md, repeat.json. Exit code {code}"
    )
    return code


def _play(s: Scenario, folder: Path, args: argparse.Namespace, console: Console) -> RunResult:
    """One game day in an event loop of its own (virtual on the virtual clock)."""
    from harness.run.progress import ConsoleProgress, print_summary
    from harness.run.runner import run_game_day

    async def main() -> RunResult:
        task = asyncio.current_task()
        if task is not None:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
            # Ours, not asyncio's: its second Ctrl-C raises KeyboardInterrupt out of the
            # revert and the report (exit 130). The first stops the run; later ones only
            # say that clean-up is under way.
            loop.add_signal_handler(signal.SIGINT, _Interrupt(task, console))
        # on a terminal the responder's prompt and status line replace the live progress
        on_terminal = sys.stdin.isatty() and sys.stdout.isatty()
        quiet = args.quiet or (args.interactive and on_terminal)
        live = Console(quiet=True) if quiet else console
        with ConsoleProgress(live, s.name) as progress:
            result = await run_game_day(
                s, folder, progress=progress, workers=args.workers, interactive=args.interactive
            )
        report = json.loads((result.run_dir / "report.json").read_text(encoding="utf-8"))
        print_summary(console, report, str(result.run_dir))
        return result

    if s.clock == "virtual":
        return virtual.run(main())
    return asyncio.run(main())


def check_determinism(
    scenario: Scenario, run_dir: Path, play: Callable[[Scenario, Path], RunResult], console: Console
) -> int:
    """Play ``scenario`` twice with its seed; 1 and the first difference if they differ.

    On the virtual clock the whole journals must agree (but for wall-clock fields and
    ports); on the scaled clock, what the harness decided (jobs, due times, faults).
    """
    from harness.exitcode import ExitCode
    from harness.journal.store import read_journal
    from harness.run.determinism import first_difference, inputs_of, journal_difference

    journals = []
    for name in ("a", "b"):
        result = play(scenario, run_dir / name)
        journals.append(read_journal(result.run_dir / "journal.jsonl"))
    a, b = inputs_of(journals[0]), inputs_of(journals[1])
    diff = first_difference(a, b, scenario.tick)
    if diff is None and scenario.clock == "virtual":
        diff = journal_difference(journals[0], journals[1])
    if diff is not None:
        console.print(f"[bold red]Not deterministic:[/] {escape(diff)}", highlight=False)
        console.print(f"Journals: {run_dir}/a/journal.jsonl, {run_dir}/b/journal.jsonl")
        return ExitCode.GATE_FAILED
    if scenario.clock == "virtual":
        console.print(
            f"[bold green]Deterministic:[/] seed {scenario.seed}: identical journals "
            f"({len(journals[0])} records, {len(a.jobs)} jobs, {len(a.faults)} fault records; "
            "wall-clock fields and ports aside).",
            highlight=False,
        )
        return ExitCode.OK
    console.print(
        f"[bold green]Deterministic:[/] seed {scenario.seed}: the same {len(a.jobs)} jobs at "
        f"the same due times and the same {len(a.faults)} fault records in both runs "
        "(sent within a tick of each other).",
        highlight=False,
    )
    return ExitCode.OK


class _Interrupt:
    """Ctrl-C: the first stops the run, later ones only say that clean-up is under way.

    Remembered here, not read from the task: the run's clean-up catches the
    cancellation (``Task.cancelling()`` drops back to 0), and a second cancel would cut
    the revert short.
    """

    def __init__(self, task: asyncio.Task[Any], console: Console) -> None:
        self._task = task
        self._console = console
        self._stopping = False

    def __call__(self) -> None:
        if self._stopping:
            self._console.print("[yellow]stopping[/]: reverting faults and writing the report")
            return
        self._stopping = True
        self._task.cancel()
