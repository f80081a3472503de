"""The ``gameday`` command (subcommands live in :mod:`harness.commands`).

    gameday run SCENARIO [--time-scale X] [--seed N] [--out DIR]   play a game day
    gameday validate SCENARIO...                                   check scenario files
    gameday list                                                   the scenario catalogue
    gameday report RUN_DIR                                         rebuild reports from a journal
    gameday proxy [--listen HOST:PORT]                             Toxiproxy-compatible server
    gameday devices [NAME...] [--json]                             devices a backend can run
    gameday serve --config FILE                                    fake backends standalone
    gameday load --target URL --users N --run-time T               a Locust load test

SCENARIO is a path to a YAML file or the name of one in ``scenarios/``. Exit codes
(:class:`~harness.exitcode.ExitCode`): 0 all gates pass, 1 a gate failed, 2 aborted or
steady state not reached, 3 scenario or configuration error, 4 harness internal error,
5 ``report`` of a killed run (its journal has no end).
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from harness.commands import COMMANDS
from harness.errors import ConfigError, GamedayError, ScenarioError
from harness.exitcode import ExitCode

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="gameday",
        description="Chaos game days for quantum job orchestrators.",
        epilog="Exit codes: 0 pass, 1 gate failed, 2 aborted or invalid, 3 bad scenario, "
        "4 internal error, 5 report of a killed run.",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log at INFO level")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    # No emoji: ":100:" in "file.yaml:100: ..." would print as one. Text from files and
    # servers is escape()d wherever it meets markup, so "[/x]" prints as itself.
    console = Console(highlight=False, emoji=False)
    err = Console(stderr=True, highlight=False, emoji=False)
    try:
        code: int = args.func(args, console)
        return code
    except (ScenarioError, ConfigError) as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return ExitCode.CONFIG_ERROR
    except GamedayError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", soft_wrap=True)
        return ExitCode.INTERNAL_ERROR
    except Exception:  # our bug: say so with the traceback, and exit 4, not Python's 1
        err.print_exception()
        err.print("[red]internal error[/] (a bug in gameday: please report the above)")
        return ExitCode.INTERNAL_ERROR


if __name__ == "__main__":
    sys.exit(main())
