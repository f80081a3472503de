"""``gameday devices``: the devices a fake backend can run (real calibration snapshots)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from fake_backends.devices import GENERIC_MAX_QUBITS, device_names, device_qubits
from fake_backends.errors import UnknownDevice
from harness.commands.common import add_command
from harness.errors import ConfigError
from harness.exitcode import ExitCode


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "devices",
        execute,
        help="list the devices fake backends can run",
        description="List the device snapshots (qiskit-ibm-runtime fake provider) and the "
        "trapped-ion devices built from published figures (ionq:NAME) with their "
        "qubits, median T1/T2, readout and 2-qubit error, and snapshot date (for ionq:NAME: "
        "when the figures were read). The numbers are "
        "read from the snapshots in worker processes (~10-15 s for all of them; progress is "
        "shown on stderr).",
    )
    p.add_argument("names", nargs="*", help="only these devices (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")


def execute(args: argparse.Namespace, console: Console) -> int:
    names = list(args.names) or device_names()
    for name in names:
        try:
            device_qubits(name)
        except UnknownDevice as exc:
            raise ConfigError(str(exc)) from None
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, found {args.workers}")
    progress = _Progress(len(names))
    rows = asyncio.run(_catalogue(names, args.workers, progress))
    progress.done()
    if args.json:
        console.print_json(json.dumps(rows))
        return ExitCode.OK
    table = Table(title="Devices (device: NAME in a backends: entry)", title_justify="left")
    for col in ("device", "qubits", "T1 us", "T2 us", "readout err", "2q err", "snapshot"):
        table.add_column(col, justify="left" if col in ("device", "snapshot") else "right")
    for r in rows:
        table.add_row(
            escape(r["name"]),
            str(r["num_qubits"]),
            _fmt(r["median_t1_us"], "{:.0f}"),
            _fmt(r["median_t2_us"], "{:.0f}"),
            _fmt(r["median_readout_error"], "{:.4f}"),
            _fmt(r["median_2q_error"], "{:.4f}"),
            (r["snapshot_date"] or "-")[:10],
        )
    # off a terminal (a log, a pipe) the console is 80 columns: give the table its natural
    # width instead, so device names are never cut ("FakeBoeblingen…")
    if not console.is_terminal:
        console.width = max(console.width, _natural_width(console, table))
    console.print(table)
    console.print(
        f"Also generic:N (1 <= N <= {GENERIC_MAX_QUBITS}): qiskit's GenericBackendV2, seeded. "
        "ionq:NAME: trapped-ion devices from published figures (snapshot: the day they "
        "were read). Medians are over qubits (T1, T2, readout) and 2-qubit gates."
    )
    return ExitCode.OK


#: devices per worker call: small enough for steady progress, large enough to amortise
#: a call (a snapshot takes ~0.1-0.5 s to load; 127-qubit ones the most)
CHUNK = 4


async def _catalogue(names: list[str], workers: int, progress: _Progress) -> list[dict[str, Any]]:
    from fake_backends.executor import AerExecutor

    async with AerExecutor(workers) as ex:
        calls = [ex.call("catalogue", names[i : i + CHUNK]) for i in range(0, len(names), CHUNK)]
        by_name: dict[str, dict[str, Any]] = {}
        for finished in asyncio.as_completed(calls):
            part = await finished
            by_name.update((r["name"], r) for r in part)
            progress.advance(len(part))
    return [by_name[n] for n in names]


class _Progress:
    """``reading device snapshots: 12/68`` on stderr: a redrawn line on a terminal, a line
    per quarter in a log (the command used to be silent for 15 s)."""

    def __init__(self, total: int) -> None:
        self._err = Console(stderr=True, highlight=False)
        self._total = total
        self._done = 0
        self._shown = 0.0
        self._say()

    def advance(self, n: int) -> None:
        self._done += n
        finished = self._done >= self._total
        if self._err.is_terminal or finished or self._done / self._total >= self._shown + 0.25:
            self._say()

    def _say(self) -> None:
        self._shown = self._done / self._total if self._total else 1.0
        text = f"reading device snapshots: {self._done}/{self._total}"
        if self._err.is_terminal:
            self._err.file.write("\r" + text)
            self._err.file.flush()
        else:
            self._err.print(text)

    def done(self) -> None:
        if self._err.is_terminal:
            self._err.file.write("\r\033[K")  # the table replaces the progress line
            self._err.file.flush()


def _natural_width(console: Console, table: Table) -> int:
    return Measurement.get(console, console.options.update(width=10_000), table).maximum


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)
