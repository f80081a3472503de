"""Virtual time end to end: token-expiry and network-partition on the virtual clock.

Each is played twice, in two processes side by side (their ports, their string hashing,
their Aer workers' timing all differ): the journals must be identical record for record
but for wall-clock fields and ports, and so must the reports. And each must reach the
same verdicts as the same game day on the scaled clock at 10x (those two references are
started at the beginning of the session: tests/integration/gamedays.py).
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.run.determinism import journal_difference
from tests.integration.gamedays import GameDays, Played, virtual_run

pytestmark = pytest.mark.slow

SCENARIOS = ("token-expiry", "network-partition")
WALL_CLOCK_REPORT_FIELDS = ("started_at", "wall_seconds")


@pytest.fixture(scope="module")
def virtual_pairs(game_days: GameDays) -> dict[str, tuple[Played, Played]]:
    pairs = {}
    for name in SCENARIOS:
        for k in (1, 2):  # two at a time: both cores busy, the pair side by side
            virtual_run(game_days, name, k, start_only=True)
        pairs[name] = (virtual_run(game_days, name, 1), virtual_run(game_days, name, 2))
    return pairs


def without_wall_clock(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k not in WALL_CLOCK_REPORT_FIELDS}


def verdict(report: dict[str, Any]) -> dict[str, Any]:
    """What a CI gate reads from a report: the outcome, each gate, each incident's fate."""
    return {
        "status": report["status"],
        "passed": report["passed"],
        "exit_code": report["exit_code"],
        "gates": {g["name"]: g["passed"] for g in report["gates"]},
        "incidents": [
            (i["fault"], i["detected"], i["mitigated_at_s"] is not None, i["recovery"])
            for i in report["incidents"]
        ],
        "lost": report["jobs"]["lost"],
        "duplicated": report["jobs"]["duplicated"],
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_two_virtual_runs_write_identical_journals_and_reports(virtual_pairs, name):
    a, b = virtual_pairs[name]
    assert a.code == b.code == 0, a.output + b.output
    ja, jb = a.journal(), b.journal()
    assert len(ja) > 1000
    assert journal_difference(ja, jb) is None
    assert ja[0]["clock"] == "virtual"
    ra, rb = a.report(), b.report()
    assert ra["clock"] == "virtual"
    assert without_wall_clock(ra) == without_wall_clock(rb)
    assert ra["measurement"]["uncertainty_s"] == 0.0  # no lag: nothing waited on the machine


@pytest.mark.parametrize("name", SCENARIOS)
def test_virtual_time_reaches_the_verdicts_of_10x_scaled_time(
    virtual_pairs, scaled_references, name
):
    virtual, _ = virtual_pairs[name]
    scaled = scaled_references[f"{name}-scaled-10x"]
    assert scaled.code in (0, 1), scaled.output
    rv, rs = virtual.report(), scaled.report()
    assert (rs["clock"], rs["time_scale"]) == ("scaled", 10.0)
    assert verdict(rv) == verdict(rs)
