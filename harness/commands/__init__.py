"""Subcommands of ``gameday``: one module each, registered in :data:`COMMANDS`.

A command module has ``register(subparsers)`` (adds its parser with
:func:`~harness.commands.common.add_command`, which sets ``func=execute`` on it) and
``execute(args, console) -> int`` (the exit code).
Adding a command is one module plus one line here.
"""

from __future__ import annotations

from types import ModuleType

from harness.commands import (
    check_target,
    compare,
    devices,
    env,
    list_,
    load,
    proxy,
    report,
    run,
    serve,
    validate,
)  # fmt: skip

__all__ = ["COMMANDS"]

COMMANDS: tuple[ModuleType, ...] = (
    run, validate, list_, report, compare, devices, serve, proxy, load, env, check_target,
)  # fmt: skip
