"""``gameday load``: a standalone Locust load test with the SLI plugin, and a report.

    gameday load --target http://127.0.0.1:8080 --users 50 --run-time 2m
    gameday load --embedded reference --users 20 --run-time 30s --processes 2
    gameday load --master --expect-workers 2 --target URL --users 100 --run-time 5m
    gameday load --worker --master-host HOST

Arguments after ``--`` go to Locust unchanged.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.commands.common import add_command
from harness.durations import parse_duration
from harness.errors import ConfigError
from harness.exitcode import ExitCode

LOCUST_PORT = 5557


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "load",
        execute,
        help="run a standalone Locust load test",
        description="Run Locust with the qgameday SLI plugin against an orchestrator or a "
        "fake backend and write a report folder (summary.md, summary.json, sli.jsonl, "
        "Locust's CSV and HTML). Arguments after -- go to Locust unchanged.",
    )
    where = p.add_mutually_exclusive_group()
    where.add_argument("--target", help="base URL of the system to load")
    where.add_argument(
        "--embedded",
        choices=("reference", "backend"),
        help="start this target here (reference orchestrator + fake backend, or a fake backend)",
    )
    p.add_argument(
        "--locustfile",
        default="reference",
        help="reference, backend, or a path to your own locustfile (default: reference)",
    )
    p.add_argument("--users", type=int, default=10, help="concurrent users (default 10)")
    p.add_argument("--spawn-rate", type=float, help="users started per second (default: users)")
    p.add_argument("--run-time", default="30s", help="how long, e.g. 30s, 5m (default 30s)")
    p.add_argument("--processes", type=int, default=1, help="Locust processes on this machine")
    p.add_argument("--api-key", default="", help="API key, for the backend locustfile")
    p.add_argument("--seed", type=int, default=0, help="seed of tenants and circuits")
    p.add_argument("--think-time", type=float, default=1.0, help="mean pause between tasks (s)")
    p.add_argument("--poll-interval", type=float, default=1.0, help="seconds between polls")
    p.add_argument("--out", type=Path, help="report folder (default reports/load-<UTC time>)")
    p.add_argument("--reports-dir", type=Path, default=Path("reports"))
    dist = p.add_argument_group("distributed mode (Locust master and workers)")
    role = dist.add_mutually_exclusive_group()
    role.add_argument("--master", action="store_true", help="be the master; workers connect")
    role.add_argument("--worker", action="store_true", help="be a worker of --master-host")
    dist.add_argument("--expect-workers", type=int, default=1, help="master: workers to wait for")
    dist.add_argument("--master-host", default="127.0.0.1", help="worker: the master's address")
    dist.add_argument("--master-port", type=int, default=LOCUST_PORT)
    dist.add_argument(
        "--bind-host",
        default="127.0.0.1",
        help="master: address to accept workers on (0.0.0.0 for other machines)",
    )
    p.add_argument("locust_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def _spec_args(args: argparse.Namespace) -> dict[str, Any]:
    try:
        run_time = parse_duration(args.run_time)
    except ValueError as exc:
        raise ConfigError(f"--run-time: {exc}") from None
    if run_time <= 0:
        raise ConfigError("--run-time must be positive")
    if args.users < 1 or args.processes < 1 or args.expect_workers < 1:
        raise ConfigError("--users, --processes and --expect-workers must be at least 1")
    if args.processes > 1 and (args.master or args.worker):
        raise ConfigError("--processes forks local workers; it cannot be combined with "
                          "--master or --worker")  # fmt: skip
    if not (args.worker or args.target or args.embedded):
        raise ConfigError("say what to load: --target URL or --embedded reference|backend")
    if args.target and not args.target.startswith(("http://", "https://")):
        raise ConfigError(f"--target must be an http(s) URL, found {args.target!r}")
    extra = list(args.locust_args)
    if extra[:1] == ["--"]:
        extra = extra[1:]
    return {"run_time": run_time, "extra": extra}


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.load.driver import LocustSpec, Mode, free_port
    from harness.load.files import resolve_locustfile
    from harness.load.standalone import LoadProgress, LoadTest, run_load_test
    from harness.run.runner import new_run_dir

    checked = _spec_args(args)
    try:
        locustfile = resolve_locustfile(args.locustfile, Path.cwd())
    except FileNotFoundError as exc:
        raise ConfigError(f"--locustfile: {exc}") from None
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or new_run_dir(args.reports_dir, "load")
    mode: Mode = "worker" if args.worker else "master" if args.master else "local"
    options = {
        "seed": str(args.seed),
        "run-id": f"{args.seed}-{stamp}",  # fresh idempotency keys for every test
        "think-time": f"{args.think_time:g}",
        "poll-interval": f"{args.poll_interval:g}",
    }
    if args.api_key:
        options["api-key"] = args.api_key
    spec = LocustSpec(
        locustfile=locustfile,
        out_dir=out,
        host=(args.target or "").rstrip("/"),
        users=args.users,
        spawn_rate=args.spawn_rate or float(args.users),
        run_time=checked["run_time"],
        processes=args.processes,
        options=options,
        extra_args=checked["extra"],
        mode=mode,
        master_host=args.master_host,
        master_port=free_port() if args.processes > 1 else args.master_port,
        bind_host=args.bind_host,
        expect_workers=args.expect_workers,
    )
    test = LoadTest(spec, args.locustfile, embedded=args.embedded)
    what = args.target or f"an embedded {args.embedded}"
    if mode == "worker":
        console.print(
            escape(f"Locust worker of {args.master_host}:{args.master_port}; log: {out}/")
        )
    else:
        console.print(
            f"Load test of {what}: {args.users} users for {args.run_time} "
            f"({mode}, {args.processes} process(es)). Reports: {out}/"
        )

    def show(p: LoadProgress) -> None:
        console.print(
            f"{p.elapsed_s:5.0f}s  requests {p.requests} ({p.requests / p.elapsed_s:.0f}/s)  "
            f"failures {p.failures}  jobs finished {p.jobs_done}",
            highlight=False,
        )

    async def main() -> int:
        task = asyncio.current_task()
        if task is not None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            summary = await run_load_test(test, progress=show)
        except asyncio.CancelledError:
            console.print("[yellow]interrupted[/]: Locust stopped, no process left behind")
            return ExitCode.ABORTED
        if summary is None:
            return ExitCode.OK
        t = summary.total
        console.print(
            f"{t.requests} requests, {t.failures} failures, {summary.mean_rps:g}/s, "
            f"p50 {t.p50_ms} ms, p95 {t.p95_ms} ms, p99 {t.p99_ms} ms; plugin totals "
            f"{'equal' if summary.totals_match else 'DIFFER FROM'} Locust's. "
            f"Report: {out}/summary.md"
        )
        # Locust exits non-zero when any request failed; its own code is in the summary
        return ExitCode.GATE_FAILED if summary.exit_code else ExitCode.OK

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]: Locust stopped, no process left behind")
        return ExitCode.ABORTED
