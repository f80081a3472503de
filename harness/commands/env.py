"""``gameday env SCENARIO``: the wiring a SUT gets, for one you start by hand.

Prints the variables of the wiring table (README "Wiring by environment") as ``export``
lines: the alert webhook and ``/events`` URLs with the run's secret, every backend's URL
through its fault proxy and its API key, and qiskit-ibm-runtime's own settings for the
first backend (an unmodified ``QiskitRuntimeService()`` connects to it). Use the same
secret for the run::

    gameday env scenarios/mine.yaml > gameday.env
    set -a; . ./gameday.env; set +a      # in the SUT's shell and in the harness's
    my-orchestrator &                     # reads QGAMEDAY_* from its environment
    gameday run scenarios/mine.yaml       # picks up QGAMEDAY_WEBHOOK_SECRET

Values only a running game day knows (ephemeral ports of a ``reference`` or ``command``
target's run) are shown as ``<chosen at run time>``: give backends a ``port`` and the
target a ``webhook: {port: N}`` to fix them.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from harness.commands.common import add_command, add_scenarios_dir, load_named

LATER = "<chosen at run time>"


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "env",
        execute,
        help="print the environment a SUT is wired with (for SUTs started by hand)",
        description=__doc__,
    )
    p.add_argument("scenario", help="scenario file, or a name in the scenarios folder")
    p.add_argument("--json", action="store_true", help="a JSON object instead of export lines")
    add_scenarios_dir(p)


def execute(args: argparse.Namespace, console: Console) -> int:
    from harness.sut.wiring import (
        SECRET_ENV,
        TABLE,
        BackendEndpoint,
        Wiring,
        new_secret,
        shell_lines,
    )

    s = load_named(args.scenario, args)
    port = s.target.webhook_port
    wiring = Wiring(
        backends=tuple(
            BackendEndpoint(
                b.name,
                f"http://127.0.0.1:{b.port}" if b.port else LATER,
                next(iter(b.spec.keys())),
            )
            for b in s.backends
        ),
        webhook_base=f"http://127.0.0.1:{port}" if port else LATER,
        secret=new_secret(),
        time_scale=s.time_scale,
        seed=s.seed,
        protocols=s.target.protocols,
    )
    env = {k: LATER if v.startswith(LATER) else v for k, v in wiring.env().items()}
    if not port:
        for key in ("QGAMEDAY_WEBHOOK_URL", "QGAMEDAY_EVENTS_URL"):
            env[key] = LATER
    if args.json:
        console.print_json(json.dumps(env))
        return 0
    out = [f"# wiring of scenario {s.name} (target kind: {s.target.kind}); see `gameday env -h`"]
    if s.target.kind != "http":
        out.append(f"# kind {s.target.kind}: the harness wires the SUT itself; shown for reference")
    out.append(f"# reuse {SECRET_ENV} for `gameday run` (it is read from the environment)")
    out += shell_lines(env, [name for name, _ in TABLE])
    console.print("\n".join(out), markup=False, highlight=False, soft_wrap=True)
    return 0
