"""Shared fixtures. Integration fixtures start real servers on 127.0.0.1, port 0."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from fake_backends.executor import AerExecutor
from plumbing.records import Event
from tests.fuzz.support import LONG, TALLY, WORKER_KEY
from tests.integration.gamedays import PREFIX, SHARED_ENV

DEVICE = "FakeManilaV2"
_START = time.monotonic()
_MADE: list[str] = []  # the shared game-day folder, when this process made it


# -- the session's main process (the only one, or pytest-xdist's controller) -----------


def pytest_configure(config: pytest.Config) -> None:
    # Whole game days are played once per session, also under xdist: every worker finds
    # them in this folder (tests/integration/gamedays.py). Workers inherit it.
    if not hasattr(config, "workerinput") and SHARED_ENV not in os.environ:
        os.environ[SHARED_ENV] = tempfile.mkdtemp(prefix=PREFIX)
        _MADE.append(os.environ[SHARED_ENV])


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in _MADE:
        shutil.rmtree(folder, ignore_errors=True)
        os.environ.pop(SHARED_ENV, None)


def pytest_testnodedown(node: Any, error: Any) -> None:
    # An xdist worker ended: add its fuzz tally (tests/fuzz/conftest.py) to ours.
    tally = getattr(node, "workeroutput", {}).get(WORKER_KEY)
    if tally:
        TALLY.update(Counter(json.loads(tally)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not TALLY:
        return
    tally = {
        "mode": "long" if LONG else "short",
        "wall_s": round(time.monotonic() - _START, 1),
        **{k: TALLY[k] for k in sorted(TALLY)},
    }
    for key in ("server_errors", "tracebacks", "hangs", "leftover_processes"):
        tally.setdefault(key, 0)
    out = Path("reports") / "fuzz.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(tally, indent=2) + "\n", encoding="utf-8")
    terminalreporter.write_line(f"fuzz tally ({out}): " + json.dumps(tally))


@pytest_asyncio.fixture(scope="session")
async def executor() -> AsyncIterator[AerExecutor]:
    """One Aer process pool for the whole session (its start-up costs ~2 s)."""
    async with AerExecutor(workers=2, seed=11) as ex:
        await ex.warm([DEVICE])
        yield ex


class Events:
    """An event sink that keeps what the fake backends report."""

    def __init__(self) -> None:
        self.records: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, event: Event[Any]) -> None:
        self.records.append((event.type, dict(event.fields)))

    def of(self, type: str) -> list[dict[str, Any]]:
        return [d for t, d in self.records if t == type]
