"""``gameday validate SCENARIO...``: check scenario files without running them."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from harness.commands.common import add_command, add_scenarios_dir, load_named
from harness.errors import ScenarioError
from harness.exitcode import ExitCode
from harness.scenario.checks import scenario_warnings


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "validate",
        execute,
        help="check scenario files",
        description="Validate scenario files.",
    )
    p.add_argument("scenarios", nargs="+", help="scenario files or names")
    add_scenarios_dir(p)


def execute(args: argparse.Namespace, console: Console) -> int:
    worst = ExitCode.OK
    for name in args.scenarios:
        try:
            s = load_named(name, args)
        except ScenarioError as exc:
            console.print(f"[red]invalid[/] {escape(str(exc))}", soft_wrap=True)
            worst = ExitCode.CONFIG_ERROR
            continue
        console.print(
            f"[green]ok[/] {escape(s.file)}: {escape(s.name)} ({len(s.backends)} backend(s), "
            f"{len(s.faults)} fault(s), {len(s.gates)} gate(s))",
            soft_wrap=True,
        )
        for warning in scenario_warnings(s):
            console.print(Text.assemble(("warning", "yellow"), f" {s.file}: {warning}"))
    return worst
