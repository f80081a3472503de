"""``gameday report RUN_DIR``: score a journal again and rewrite every report."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from rich.console import Console

from harness.commands.common import add_command
from harness.errors import ConfigError
from harness.exitcode import ExitCode
from harness.journal.store import read_journal


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "report",
        execute,
        help="rebuild reports from a run's journal",
        description="Score RUN_DIR/journal.jsonl again and rewrite every report "
        "(works for killed runs too).",
    )
    p.add_argument("run_dir", type=Path)


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.report import write_reports
    from harness.run.progress import print_summary
    from harness.scenario.parse import scenario_of

    journal = args.run_dir / "journal.jsonl"
    if not journal.is_file():
        raise ConfigError(f"no journal at {journal}")
    try:
        records = read_journal(journal)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    result, _ = write_reports(args.run_dir, records, scenario_of(records))
    report = json.loads((args.run_dir / "report.json").read_text(encoding="utf-8"))
    print_summary(console, report, str(args.run_dir))
    return ExitCode.of_run(result.status, result.passed)
