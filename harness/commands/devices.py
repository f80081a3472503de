"""``gameday devices``: the devices a fake backend can run (real calibration snapshots)."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from fake_backends.devices import GENERIC_MAX_QUBITS, SNAPSHOTS, device_qubits
from fake_backends.errors import UnknownDevice
from harness.errors import ConfigError
from harness.exitcode import ExitCode


def register(sub: Any) -> None:
    p = sub.add_parser(
        "devices",
        help="list the devices fake backends can run",
        description="List the device snapshots (qiskit-ibm-runtime fake provider) with their "
        "qubits, median T1/T2, readout and 2-qubit error, and snapshot date. The numbers are "
        "read from the snapshots in a worker process (~10 s for all of them).",
    )
    p.add_argument("names", nargs="*", help="only these devices (default: all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--workers", type=int, default=2, help="worker processes (default 2)")
    p.set_defaults(func=execute)


def execute(args: argparse.Namespace, console: Console) -> int:
    names = list(args.names) or sorted(SNAPSHOTS)
    for name in names:
        try:
            device_qubits(name)
        except UnknownDevice as exc:
            raise ConfigError(str(exc)) from None
    if args.workers < 1:
        raise ConfigError(f"--workers must be at least 1, found {args.workers}")
    with console.status(f"reading {len(names)} device snapshot(s)..."):
        rows = asyncio.run(_catalogue(names, args.workers))
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
    console.print(table)
    console.print(
        f"Also generic:N (1 <= N <= {GENERIC_MAX_QUBITS}): qiskit's GenericBackendV2, seeded. "
        "Medians are over qubits (T1, T2, readout) and 2-qubit gates."
    )
    return ExitCode.OK


async def _catalogue(names: list[str], workers: int) -> list[dict[str, Any]]:
    from fake_backends.executor import AerExecutor

    async with AerExecutor(workers) as ex:
        chunks = [names[i::workers] for i in range(workers)]
        parts = await asyncio.gather(*(ex.call("catalogue", c) for c in chunks if c))
    by_name = {r["name"]: r for part in parts for r in part}
    return [by_name[n] for n in names]


def _fmt(value: float | None, pattern: str) -> str:
    return "-" if value is None else pattern.format(value)
