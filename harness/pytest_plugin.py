"""pytest plugin (entry point ``pytest11: gameday``): game days as tests.

Two ways, both working under pytest-xdist (every run has its own ports, run folder and
processes, so workers never share anything):

1. The ``gameday`` fixture::

       def test_survives_token_expiry(gameday):
           result = gameday.run("examples/tiny-token-expiry.yaml", time_scale=40)
           result.assert_passed()            # AssertionError listing the failed gates
           assert result.report["jobs"]["lost"] == 0

   ``gameday.run`` is blocking; in an ``async def`` test use ``await gameday.arun(...)``.
   A scenario on the virtual clock (the default where every part runs in process)
   plays in a :class:`~plumbing.virtual.VirtualEventLoop` of its own, in a thread when
   the test's own loop is an ordinary one; ``clock="scaled"`` (or a ``time_scale``)
   plays it on the scaled clock.
2. Scenario files as test items: ``pytest --gameday scenarios/ci`` collects every
   ``*.yaml`` pytest visits as a game day (``gameday_paths = scenarios/ci`` in the ini
   file does the same for those paths only, without the flag); an item fails when a
   gate fails, with the failed gates (value against threshold) as the message.

Run folders go to ``--gameday-reports`` (default ``reports/pytest``), one per test, named
after the test and the xdist worker. Nothing here is imported unless a test asks for it:
the plugin is loaded by every pytest run in an environment where qgameday is installed.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict, Unpack

import pytest

if TYPE_CHECKING:
    from harness.run.runner import RunResult

__all__ = ["GameDay", "GameDayResult", "GatesFailed", "Overrides"]


class Overrides(TypedDict, total=False):
    """What a test may override in the scenario it plays (see :meth:`GameDay.run`)."""

    time_scale: float | None
    seed: int | None
    lag_tolerance: float | None
    clock: str | None


class GatesFailed(AssertionError):
    """A game day did not pass; the message lists the failed gates."""


@dataclass(frozen=True, slots=True)
class GameDayResult:
    """One game day's outcome: the run folder, the exit code and ``report.json``."""

    run_dir: Path
    exit_code: int
    report: dict[str, Any]

    @property
    def passed(self) -> bool:
        return self.exit_code == 0

    @property
    def failed_gates(self) -> list[str]:
        """``name: value (rule)`` for each failed gate."""
        return [_gate_line(g) for g in self.report.get("gates", []) if not g.get("passed")]

    def explain(self) -> str:
        r = self.report
        head = f"game day {r.get('scenario')}: {r.get('status')}"
        if r.get("reason"):
            head += f" ({r['reason']})"
        gates = self.failed_gates
        lines = [head, *(f"  failed gate {g}" for g in gates)]
        return "\n".join(lines + [f"  report: {self.run_dir / 'report.md'}"])

    def assert_passed(self) -> None:
        if not self.passed:
            raise GatesFailed(self.explain())


def _gate_line(g: dict[str, Any]) -> str:
    from harness.report.markdown import gate_value

    return f"{g['name']}: {gate_value(g)} (rule: {g['op']} {g['threshold']:g})"


class GameDay:
    """Runs game days for one test; see the module docstring."""

    def __init__(self, reports_dir: Path, name: str) -> None:
        self.reports_dir = reports_dir
        self.name = name
        self.results: list[GameDayResult] = []

    def _folder(self, scenario: str) -> Path:
        worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", f"{self.name}-{Path(scenario).stem}")[:80]
        self.reports_dir.mkdir(parents=True, exist_ok=True)
        n = 0
        while True:  # mkdir is atomic: two workers never get the same folder
            n += 1
            path = self.reports_dir / f"{stem}-{worker}-{n}"
            try:
                path.mkdir()
                return path
            except FileExistsError:
                continue

    async def arun(self, scenario: str | Path, **overrides: Unpack[Overrides]) -> GameDayResult:
        """Play a scenario file (awaitable, for async tests); ``overrides`` as in :meth:`run`."""
        from harness.netchaos.links import TOXIPROXY_URL_ENV
        from harness.run.runner import run_game_day
        from harness.scenario.clock import settle_clock
        from harness.scenario.parse import load_scenario
        from plumbing import virtual

        s = load_scenario(scenario).with_overrides(**overrides)
        s, _ = settle_clock(s, toxiproxy_url=os.environ.get(TOXIPROXY_URL_ENV) or None)
        game_day = run_game_day(s, self._folder(str(scenario)))
        result: RunResult
        if s.clock == "virtual" and not virtual.is_virtual():
            result = await asyncio.to_thread(virtual.run, game_day)  # a loop of its own
        else:
            result = await game_day
        report = json.loads((result.run_dir / "report.json").read_text(encoding="utf-8"))
        out = GameDayResult(result.run_dir, result.exit_code, report)
        self.results.append(out)
        return out

    def run(self, scenario: str | Path, **overrides: Unpack[Overrides]) -> GameDayResult:
        """Play a scenario file and return its result (a failed gate does not raise).

        ``overrides`` (:class:`Overrides`) replace the scenario's own ``time_scale``,
        ``seed``, ``lag_tolerance`` or ``clock``. ``lag_tolerance`` (scenario seconds)
        overrides ``scoring.lag_tolerance``: beyond it a run on a busy machine is
        ``unreliable`` (exit 2), its gates not judged (on the scaled clock; the virtual
        one has no lag). ``clock``: ``virtual`` or ``scaled``.
        """
        return asyncio.run(self.arun(scenario, **overrides))


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gameday", "qgameday game days")
    group.addoption(
        "--gameday",
        action="store_true",
        help="collect every scenario file (*.yaml) pytest visits as a game day test",
    )
    group.addoption(
        "--gameday-reports",
        default=None,
        metavar="DIR",
        help="where game day run folders go (default: reports/pytest)",
    )
    parser.addini("gameday_paths", "scenario files or folders collected as tests", "paths")


def _reports_dir(config: pytest.Config) -> Path:
    return Path(config.getoption("gameday_reports") or config.rootpath / "reports" / "pytest")


@pytest.fixture
def gameday(request: pytest.FixtureRequest) -> GameDay:
    """A :class:`GameDay` for this test."""
    return GameDay(_reports_dir(request.config), request.node.name)


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    roots = [Path(p).resolve() for p in config.getini("gameday_paths")]
    resolved = file_path.resolve()
    if config.getoption("gameday") or any(r == resolved or r in resolved.parents for r in roots):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    """A scenario file: one test item."""

    def collect(self) -> Iterator[pytest.Item]:
        yield ScenarioItem.from_parent(self, name=self.path.stem)


class ScenarioItem(pytest.Item):
    """Plays one scenario; fails with the failed gates."""

    def runtest(self) -> None:
        runner = GameDay(_reports_dir(self.config), self.name)
        result = runner.run(self.path)
        self.user_properties.append(("report", str(result.run_dir / "report.md")))
        result.assert_passed()

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str:
        if isinstance(excinfo.value, GatesFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, 0, f"game day {self.name}"
