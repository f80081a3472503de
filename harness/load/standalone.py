"""A standalone load test: Locust with the SLI plugin against one URL, then a report.

:func:`run_load_test` is what ``gameday load`` runs. It starts Locust (one process, a
local master with ``processes`` forked workers, or Locust's master for workers on other
machines), reports progress from the plugin's lines while it runs, and writes
``summary.json`` / ``summary.md`` next to Locust's own CSV and HTML files. Locust stops
by itself at ``run_time``; Ctrl-C or SIGTERM stops it early, and no process is left.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from harness.errors import LoadError
from harness.load.driver import LocustProcess, LocustSpec
from harness.load.embedded import embedded_target
from harness.load.summary import LoadSummary, locust_totals, summarize, write_summary

__all__ = ["LoadProgress", "LoadTest", "run_load_test"]

POLL_S = 0.1
PROGRESS_S = 5.0
STOP_MARGIN_S = 60.0


@dataclass(frozen=True, slots=True)
class LoadProgress:
    """What has been measured so far (for progress output)."""

    elapsed_s: float
    requests: int
    failures: int
    jobs_done: int


@dataclass(frozen=True, slots=True)
class LoadTest:
    """A standalone load test: the Locust command plus what to start first, if anything.

    ``embedded`` (``reference`` or ``backend``) starts that target in this process and
    points Locust at it instead of ``spec.host``.
    """

    spec: LocustSpec
    locustfile_label: str
    embedded: Literal["reference", "backend"] | None = None
    wait_workers_s: float = 60.0
    env: dict[str, str] = field(default_factory=dict)


@asynccontextmanager
async def _target(test: LoadTest) -> AsyncIterator[LocustSpec]:
    if test.embedded is None:
        yield test.spec
        return
    async with embedded_target(test.embedded) as target:
        options = dict(test.spec.options)
        options.setdefault("api-key", target.api_key)
        yield replace(test.spec, host=target.url, options=options)


async def run_load_test(
    test: LoadTest, *, progress: Callable[[LoadProgress], None] | None = None
) -> LoadSummary | None:
    """Run the test to its end; the summary (None for a worker, which has no report)."""
    async with _target(test) as spec:
        locust = LocustProcess(spec, env=test.env)
        lines: list[dict[str, Any]] = []
        async with locust.running():
            await _follow(locust, spec, lines, progress, test.wait_workers_s)
        lines += locust.read_lines()
    if locust.exit_code and not any(line["type"] == "started" for line in lines):
        raise locust.exit_error("before it started (is the locustfile valid?)")
    if spec.mode == "worker":
        return None
    summary = summarize(
        lines,
        target=spec.host,
        locustfile=test.locustfile_label,
        users=spec.users,
        processes=spec.expect_workers if spec.mode == "master" else spec.processes,
        locust=locust_totals(spec.out_dir / "locust_stats.json"),
        exit_code=locust.exit_code,
    )
    write_summary(spec.out_dir, summary)
    if locust.exit_code is not None and locust.exit_code < 0:
        raise locust.exit_error("during the test (what it measured is in summary.md)")
    return summary


async def _follow(
    locust: LocustProcess,
    spec: LocustSpec,
    lines: list[dict[str, Any]],
    progress: Callable[[LoadProgress], None] | None,
    wait_workers_s: float,
) -> None:
    """Read lines until Locust exits; bounded by its run time (plus workers' arrival)."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    bound = (spec.run_time or 0.0) + wait_workers_s + STOP_MARGIN_S
    shown = t0
    requests = failures = jobs = 0
    while locust.exit_code is None:
        if spec.mode != "worker" and loop.time() - t0 > bound:
            raise LoadError(f"Locust did not stop {bound:.0f}s after it started; stopped it")
        for line in locust.read_lines():
            lines.append(line)
            if line["type"] == "sli":
                requests += int(line["requests"])
                failures += int(line["failures"])
            elif line["type"] == "job" and line.get("event") in ("completed", "failed"):
                jobs += 1
        if progress is not None and loop.time() - shown >= PROGRESS_S:
            shown = loop.time()
            progress(LoadProgress(shown - t0, requests, failures, jobs))
        await locust.wait(POLL_S)
