"""Helpers shared by the subcommands."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.errors import ConfigError
from harness.scenario.model import Scenario
from harness.scenario.parse import find_scenario, load_scenario

__all__ = [
    "Execute",
    "add_command",
    "add_scenarios_dir",
    "load_named",
    "read_json",
    "scenarios_dir",
]

#: what a command runs: its parsed arguments and the console -> the exit code
Execute = Callable[[argparse.Namespace, Console], int]


def add_command(
    sub: Any, name: str, execute: Execute, *, help: str, description: str
) -> argparse.ArgumentParser:
    """Add the ``gameday NAME`` subcommand, run by ``execute``; its parser gets the arguments.

    ``help`` is its line in ``gameday --help``; ``description`` heads ``gameday NAME
    --help``: a text of several lines (a module docstring) keeps its line breaks, one
    line is wrapped to the terminal.
    """
    raw = "\n" in description
    formatter = argparse.RawDescriptionHelpFormatter if raw else argparse.HelpFormatter
    p: argparse.ArgumentParser = sub.add_parser(
        name, help=help, description=description, formatter_class=formatter
    )
    p.set_defaults(func=execute)
    return p


def add_scenarios_dir(parser: argparse.ArgumentParser) -> None:
    """``--scenarios-dir`` and ``--target``: which scenario, played against what."""
    parser.add_argument(
        "--scenarios-dir",
        help="where scenario names are looked up (default: $GAMEDAY_SCENARIOS or scenarios/)",
    )
    parser.add_argument(
        "--target",
        metavar="FILE",
        help="a YAML file with one target: block that replaces the scenario's own "
        "(play any scenario against your orchestrator; e.g. examples/targets/ibm.yaml)",
    )


def scenarios_dir(args: argparse.Namespace) -> Path:
    return Path(args.scenarios_dir or os.environ.get("GAMEDAY_SCENARIOS", "scenarios"))


def load_named(name: str, args: argparse.Namespace) -> Scenario:
    """Load a scenario given as a path or as a name in the scenarios folder (with the
    target of ``--target``, when given)."""
    return load_scenario(find_scenario(name, scenarios_dir(args)), target=args.target)


def read_json(path: Path, name: str) -> Any:
    """The JSON document in the file ``path``; a ConfigError calling it ``name`` (the
    file, or the option that gave it) when it cannot be read or is not JSON."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read {name}: {exc.strerror}") from None
    except ValueError as exc:  # UnicodeDecodeError too
        raise ConfigError(f"{name} is not JSON: {exc}") from None
