"""``gameday list``: the scenario catalogue with one-line descriptions.

Next to each scenario: the clock it runs on (``virtual``: as fast as the machine allows,
the same result everywhere; ``scaled``: wall time x its time scale), its time scale on
the scaled clock and the safe one (``safe_time_scale`` in the file: the largest scale at
which its runs measured within their lag tolerance on a loaded 2-core machine; faster
runs risk ending ``unreliable``).
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.commands.common import add_scenarios_dir, scenarios_dir
from harness.errors import ConfigError, ScenarioError
from harness.exitcode import ExitCode
from harness.scenario.parse import list_scenarios, load_scenario


def register(sub: Any) -> None:
    p = sub.add_parser("list", help="list scenarios", description="List the scenario catalogue.")
    add_scenarios_dir(p)
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace, console: Console) -> int:
    folder = scenarios_dir(args)
    if not folder.is_dir():
        raise ConfigError(f"no scenarios folder at {folder} (use --scenarios-dir)")
    table = Table(title=Text(f"Scenarios in {folder}"), title_justify="left")
    table.add_column("name", style="bold", no_wrap=True)
    table.add_column("clock", no_wrap=True)
    table.add_column("scale", justify="right", no_wrap=True)
    table.add_column("safe up to", justify="right", no_wrap=True)
    table.add_column("description")
    for name, description, path in list_scenarios(folder):  # never markup: from files
        try:
            s = load_scenario(path)
        except ScenarioError:
            table.add_row(Text(name), "", "", "", Text(description))
            continue
        safe = f"{s.safe_time_scale:g}x" if s.safe_time_scale is not None else "not measured"
        table.add_row(Text(name), s.clock, f"{s.time_scale:g}x", safe, Text(description))
    console.print(table)
    return ExitCode.OK
