"""``gameday list``: the scenario catalogue with one-line descriptions."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table

from harness.commands.common import add_scenarios_dir, scenarios_dir
from harness.errors import ConfigError
from harness.exitcode import ExitCode
from harness.scenario.parse import list_scenarios


def register(sub: Any) -> None:
    p = sub.add_parser("list", help="list scenarios", description="List the scenario catalogue.")
    add_scenarios_dir(p)
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace, console: Console) -> int:
    folder = scenarios_dir(args)
    if not folder.is_dir():
        raise ConfigError(f"no scenarios folder at {folder} (use --scenarios-dir)")
    table = Table(title=f"Scenarios in {folder}", title_justify="left")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("description")
    for name, description, _ in list_scenarios(folder):
        table.add_row(name, description)
    console.print(table)
    return ExitCode.OK
