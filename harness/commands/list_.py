"""``gameday list``: the scenario catalogue, grouped by family, with one-line descriptions.

Families come in the order of :data:`~harness.scenario.catalogue.FAMILIES` (scenarios
without one last, under "other"). Next to each scenario: the clock it runs on
(``virtual``: as fast as the machine allows, the same result everywhere; ``scaled``: wall
time x its time scale, shown with the safe one: ``safe_time_scale`` in the file, the
largest scale at which its runs measured within their lag tolerance on a loaded 2-core
machine, ``?`` where not measured; faster runs risk ending ``unreliable``) and the
verdict it is designed to give (``expect``).
"""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from harness.commands.common import add_command, add_scenarios_dir, scenarios_dir
from harness.errors import ConfigError, ScenarioError
from harness.exitcode import ExitCode
from harness.scenario.catalogue import FAMILIES
from harness.scenario.model import Scenario
from harness.scenario.parse import list_scenarios, load_scenario


def register(sub: Any) -> None:
    p = add_command(
        sub, "list", execute, help="list scenarios", description="List the scenario catalogue."
    )
    add_scenarios_dir(p)


def execute(args: argparse.Namespace, console: Console) -> int:
    folder = scenarios_dir(args)
    if not folder.is_dir():
        raise ConfigError(f"no scenarios folder at {folder} (use --scenarios-dir)")
    groups: dict[str, list[tuple[str, Scenario | None, str]]] = {}
    for name, description, path in list_scenarios(folder):  # never markup: from files
        try:
            s: Scenario | None = load_scenario(path)
        except ScenarioError:
            s = None
        family = (s.family if s is not None else None) or "other"
        groups.setdefault(family, []).append((name, s, description))
    table = Table(title=Text(f"Scenarios in {folder}"), title_justify="left")
    # the description goes under the name: four columns fit an 80-column terminal
    table.add_column("family", style="cyan", no_wrap=True)
    table.add_column("scenario", overflow="fold")
    table.add_column("clock", no_wrap=True)
    table.add_column("expect", min_width=10, max_width=16, overflow="fold")
    order = [f for f in FAMILIES if f in groups] + sorted(set(groups) - set(FAMILIES))
    for i, family in enumerate(order):
        if i:
            table.add_section()
        for j, (name, s, description) in enumerate(groups[family]):
            shown = Text(family if j == 0 else "")
            if s is None:
                table.add_row(shown, _cell(name, description), "", "")
                continue
            expect = s.expect.describe() if s.expect is not None else ""
            table.add_row(shown, _cell(name, description), _clock(s), Text(expect))
    console.print(table)
    return ExitCode.OK


def _cell(name: str, description: str) -> Text:
    """The name in bold, its description under it (plain text: never markup)."""
    cell = Text(name, style="bold")
    cell.append("\n" + description)
    return cell


def _clock(s: Scenario) -> str:
    """``virtual``, or the scaled clock's time scale and the safe one (two short lines:
    the time scale only where it is used)."""
    if s.clock == "virtual":
        return "virtual"
    safe = f"{s.safe_time_scale:g}x" if s.safe_time_scale is not None else "?"  # not measured
    return f"scaled {s.time_scale:g}x\nsafe: {safe}"
