"""Automated runbook actions: an HTTP request to the SUT, or a shell command.

Both have a timeout in **wall** seconds (they act on real processes and sockets, which
do not run on the scenario clock) and report ``(ok, detail)`` instead of raising: a
failed action is a fact for the score, not an error of the harness.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from plumbing.lifetime import die_with_parent

__all__ = ["Action", "ActionContext", "HttpAction", "ShellAction"]

DETAIL_CHARS = 300


@dataclass(frozen=True, slots=True)
class ActionContext:
    """What an action may reach: the SUT's base URL and an HTTP session."""

    sut_url: str
    http: aiohttp.ClientSession
    admin_token: str | None = None  # sent as Authorization: Bearer (SUT_ADMIN_TOKEN to shell)


class Action(Protocol):
    """An automated runbook action."""

    def describe(self) -> str: ...

    async def run(self, ctx: ActionContext) -> tuple[bool, str]: ...


@dataclass(frozen=True, slots=True)
class HttpAction:
    """``method path`` on the SUT's base URL; ok when the answer's status is below 400."""

    method: str
    path: str
    body: Any = None
    timeout: float = 10.0

    def describe(self) -> str:
        return f"HTTP {self.method} {self.path}"

    async def run(self, ctx: ActionContext) -> tuple[bool, str]:
        url = ctx.sut_url.rstrip("/") + "/" + self.path.lstrip("/")
        try:
            headers = {"Authorization": f"Bearer {ctx.admin_token}"} if ctx.admin_token else {}
            async with ctx.http.request(
                self.method,
                url,
                json=self.body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as resp:
                text = await resp.text()
                return resp.status < 400, f"{resp.status} {_short(text)}"
        except (aiohttp.ClientError, TimeoutError) as exc:
            return False, f"{type(exc).__name__}: {exc}"


@dataclass(frozen=True, slots=True)
class ShellAction:
    """A shell command; ok when it exits 0 within ``timeout``. ``SUT_URL`` is set for it."""

    command: str
    timeout: float = 30.0

    def describe(self) -> str:
        return f"shell: {self.command}"

    async def run(self, ctx: ActionContext) -> tuple[bool, str]:
        # Its own process group, killed whole: killing the shell alone left what it
        # started running, holding the output pipe open, so the step never ended. And
        # it dies with the harness, even a SIGKILLed one.
        proc = await asyncio.create_subprocess_shell(
            self.command,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "SUT_URL": ctx.sut_url, "SUT_ADMIN_TOKEN": ctx.admin_token or ""},
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        try:
            async with asyncio.timeout(self.timeout):
                out, _ = await proc.communicate()
        except TimeoutError:
            await _kill_group(proc)
            return False, f"timed out after {self.timeout:g}s (wall)"
        finally:
            if proc.returncode is None:  # cancelled: never leave the command behind
                await _kill_group(proc)
        text = _short(out.decode("utf-8", "replace"))
        return proc.returncode == 0, f"exit {proc.returncode} {text}".strip()


async def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)  # the shell and everything it started
    await proc.wait()


def _short(text: str) -> str:
    text = " ".join(text.split())
    try:
        text = json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:
        pass
    return text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 3] + "..."
