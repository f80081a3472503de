"""``gameday serve --config FILE``: run fake backends standalone.

For a user's own orchestrator, or on another host. The file holds ``backends:``
entries exactly as in a scenario, plus::

    time_scale: 1          # scenario seconds per wall second (1 for a real SUT)
    seed: 0
    host: 127.0.0.1        # 0.0.0.0 to serve other hosts (mind your network)
    journal: backends.jsonl   # optional: every backend-side event, one JSON per line

Prints each backend's URL and API key (and the environments that point
qiskit-ibm-runtime and qiskit-ionq at it), then serves until Ctrl-C / SIGTERM (or
``--duration`` wall seconds).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from harness.commands.common import add_command
from harness.errors import ConfigError, ScenarioError
from harness.exitcode import ExitCode
from harness.fields import Fields, load_yaml
from harness.scenario.backends import BackendConfig, parse_backend


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """A validated ``gameday serve`` file."""

    backends: tuple[BackendConfig, ...]
    time_scale: float = 1.0
    seed: int = 0
    host: str = "127.0.0.1"
    journal: str | None = None


def load_serve_config(path: Path) -> ServeConfig:
    """Read and validate a serve file (errors name file, line and YAML path)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"cannot read config: {exc.strerror}", file=str(path)) from None
    data, lines = load_yaml(text, file=str(path))
    f = Fields(data, file=str(path), lines=lines)
    backends = tuple(parse_backend(b) for b in f.children("backends"))
    if not backends:
        raise f.error("expected at least one backend", "backends")
    names = [b.name for b in backends]
    if len(set(names)) != len(names):
        raise f.error("backend names must be unique", "backends")
    cfg = ServeConfig(
        backends=backends,
        time_scale=f.number("time_scale", 1.0, min=0.001, max=100_000),
        seed=f.integer("seed", 0, min=0),
        host=f.text("host", "127.0.0.1"),
        journal=f.text("journal", None),
    )
    f.done()
    return cfg


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "serve",
        execute,
        help="run fake backends standalone",
        description="Run the fake backends of a config file until Ctrl-C or SIGTERM, "
        "printing their URLs and API keys.",
    )
    p.add_argument("--config", type=Path, required=True, help="YAML file with backends:")
    p.add_argument("--duration", type=float, help="stop after this many wall seconds")
    p.add_argument("--workers", type=int, help="Aer worker processes (default: CPUs, max 4)")


def execute(args: argparse.Namespace, console: Console) -> int:
    cfg = load_serve_config(args.config)
    if args.duration is not None and args.duration <= 0:
        raise ConfigError(f"--duration must be positive, found {args.duration}")
    return asyncio.run(_serve(cfg, args.duration, args.workers, console))


async def _serve(
    cfg: ServeConfig, duration: float | None, workers: int | None, console: Console
) -> int:
    from fake_backends.api.ibm.settings import client_environment
    from fake_backends.api.ionq import settings as ionq
    from fake_backends.server import serve_clouds
    from harness.journal.store import Journal
    from plumbing.clock import ScaledClock

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    clock = ScaledClock(cfg.time_scale, started=False)
    async with AsyncExitStack() as stack:
        journal = Journal(Path(cfg.journal), clock) if cfg.journal else None
        if journal is not None:
            stack.callback(journal.close)
        clouds = await stack.enter_async_context(
            serve_clouds(
                [b.spec for b in cfg.backends],
                clock=clock,
                seed=cfg.seed,
                workers=workers,
                on_event=journal.sink if journal else None,
                host=cfg.host,
                ports={b.name: b.port for b in cfg.backends},
            )
        )
        clock.start()
        for c in clouds:
            keys = ", ".join(c.spec.keys())
            console.print(
                escape(f"{c.name} ({c.spec.device}) {c.url} api key: {keys}"), soft_wrap=True
            )
            env = client_environment(c.url, next(iter(c.spec.keys())), c.name)
            settings = " ".join(f"{k}={v}" for k, v in env.items())
            console.print(
                escape(f"  qiskit-ibm-runtime: {settings}"), soft_wrap=True, highlight=False
            )
            key = next(iter(c.spec.keys()))
            ionq_env = ionq.client_environment(c.url, key)
            ionq_line = f"IONQ_API_KEY={key} IONQ_API_URL={ionq_env['IONQ_API_URL']}"
            console.print(
                escape(f"  qiskit-ionq ({ionq.backend_name(c.name)}): {ionq_line}"),
                soft_wrap=True,
                highlight=False,
            )
        console.print(f"serving at {cfg.time_scale:g}x; Ctrl-C or SIGTERM to stop", soft_wrap=True)
        try:
            async with asyncio.timeout(duration):
                await stop.wait()
        except TimeoutError:
            pass
        if journal is not None:
            journal.flush()
    console.print("stopped")
    return ExitCode.OK
