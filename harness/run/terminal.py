"""Where the human game day is shown: a terminal with a prompt, or plain lines.

:class:`PromptScreen` (stdin and stdout are terminals) is what a responder at a
keyboard gets: a prompt with command history (up/down arrows) and completion of step
ids, a live status line under it, and pages printed above it without breaking the line
being typed (prompt_toolkit). The terminal is in raw mode while the prompt is up, so
Ctrl-C reaches us as a key, not a signal: it ends the game day like a SIGINT would.

:class:`LineScreen` is the same game day over pipes (a script, CI, a test feeding
stdin): plain lines out, one command per line in, no status line (the run's progress
lines stand in for it).

Both render Rich renderables (the framed page, tables) at the screen's width.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol, TextIO

from rich.console import Console, RenderableType

__all__ = ["LineScreen", "PromptScreen", "Screen", "open_screen", "render"]

Handle = Callable[[str], Awaitable[None]]


class Screen(Protocol):
    """What the responder writes to and reads from."""

    def show(self, renderable: RenderableType) -> None:
        """Print a block (a page, a table, a line) above the prompt."""

    def bell(self) -> None:
        """Ring the terminal's bell (a page)."""

    def status(self, line: str) -> None:
        """Replace the live status line."""

    async def read(self, handle: Handle, interrupt: Callable[[], None]) -> None:
        """Pass each typed line to ``handle`` until the input ends or the task is cancelled;
        Ctrl-C calls ``interrupt``."""


def render(renderable: RenderableType, width: int, *, color: bool) -> str:
    """A Rich renderable as text (ANSI colours when ``color``), ``width`` columns wide."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    console.print(renderable)
    return buffer.getvalue()


def open_screen(commands: Sequence[str]) -> Screen:
    """A prompt on a terminal, plain lines otherwise; ``commands`` are completed."""
    if sys.stdin.isatty() and sys.stdout.isatty():
        return PromptScreen(commands)
    return LineScreen()


class LineScreen:
    """Plain lines on stdout, commands read line by line from a pipe (or any stream)."""

    def __init__(self, out: TextIO | None = None, stream: TextIO | None = None) -> None:
        self._out = out
        self._stream = stream

    def show(self, renderable: RenderableType) -> None:
        out = self._out or sys.stdout
        out.write(render(renderable, 100, color=False))
        out.flush()

    def bell(self) -> None:
        pass  # a pipe has no bell; the page's text says PAGE

    def status(self, line: str) -> None:
        pass  # the run's progress lines stand in for a status line

    async def read(self, handle: Handle, interrupt: Callable[[], None]) -> None:
        reader = asyncio.StreamReader()
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), self._stream or sys.stdin
        )
        try:
            while line := await reader.readline():
                await handle(line.decode("utf-8", "replace").strip())
        finally:
            transport.close()


class PromptScreen:
    """A prompt_toolkit prompt: history, completion, a status line, pages above it."""

    PROMPT = "responder> "

    def __init__(self, commands: Sequence[str]) -> None:
        # imported here: only an interactive run on a terminal needs prompt_toolkit
        from prompt_toolkit import PromptSession
        from prompt_toolkit.completion import WordCompleter
        from prompt_toolkit.history import InMemoryHistory

        self._line = "starting..."
        self._session: PromptSession[str] = PromptSession(
            history=InMemoryHistory(),
            completer=WordCompleter(list(commands), sentence=True),
            complete_while_typing=False,
        )

    def show(self, renderable: RenderableType) -> None:
        # a page is read at a glance: no wider than 100 columns on a wide terminal
        width = min(shutil.get_terminal_size((80, 24)).columns, 100)
        sys.stdout.write(render(renderable, width, color=True))
        sys.stdout.flush()

    def bell(self) -> None:
        sys.stdout.write("\a")
        sys.stdout.flush()

    def status(self, line: str) -> None:
        self._line = line
        app = self._session.app
        if app.is_running:
            app.invalidate()

    def _toolbar(self) -> str:
        width = shutil.get_terminal_size((80, 24)).columns
        line = self._line
        return line if len(line) <= width else line[: width - 1] + "…"

    async def read(self, handle: Handle, interrupt: Callable[[], None]) -> None:
        from prompt_toolkit.patch_stdout import patch_stdout

        # everything printed while the prompt is up (pages, answers, log lines) goes
        # above it; raw: keep the colours of the rendered pages
        with patch_stdout(raw=True):
            while True:
                try:
                    text = await self._session.prompt_async(
                        self.PROMPT, bottom_toolbar=self._toolbar, refresh_interval=0.5
                    )
                except KeyboardInterrupt:
                    interrupt()
                    return
                except EOFError:
                    self.show("Ctrl-D: type quit, or press Ctrl-C, to end the game day early.")
                    continue
                await handle(text.strip())
