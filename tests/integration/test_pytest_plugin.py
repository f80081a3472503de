"""The pytest plugin: the ``gameday`` fixture and scenario files as items, under xdist.

A real pytest in a subprocess (``-n 2``: two xdist workers) over a folder holding a test
that uses the fixture (on a calm scenario) and, under ``gameday_paths``, a scenario file
collected as an item that fails a gate.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.slow  # whole game days

SCENARIO = """
name: {name}
seed: 3
time_scale: 20  # for the scaled clock; these play on the virtual one (the default)
duration: 5m
tick: 10s
warmup: 2m
drain: 1m
backends: [{{name: manila, slots: 4, service_time: {{per_job: 2s, per_shot: 0s}}}}]
workload: {{rate: 20/m, circuits: [bell]}}
slos: {{success: {{objective: 0.5}}}}
scoring: {{lag_tolerance: 1h}}  # judged whatever the machine's lag: behaviour under test
faults: {faults}
gates: {{failed_jobs: {{max: 0}}, lost_jobs: {{max: 0}}}}
"""


def test_fixture_and_scenario_items_under_xdist(tmp_path):
    (tmp_path / "ok.yaml").write_text(SCENARIO.format(name="calm", faults="[]"))
    broken = "[{kind: backend.job_failures, at: 3m, duration: 1m, rate: 1.0}]"
    (tmp_path / "items").mkdir()
    (tmp_path / "items" / "failing.yaml").write_text(SCENARIO.format(name="broken", faults=broken))
    (tmp_path / "pytest.ini").write_text("[pytest]\ngameday_paths = items\n")
    (tmp_path / "test_with_fixture.py").write_text(
        textwrap.dedent("""
        def test_calm_day(gameday):
            result = gameday.run("ok.yaml", seed=4, lag_tolerance=3600)
            result.assert_passed()
            assert result.report["jobs"]["ok"] == result.report["jobs"]["submitted"] > 0
            assert result.run_dir.parent.name == "reports"
    """)
    )
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-p", "no:cacheprovider",
         "--gameday-reports", str(tmp_path / "reports"), "-q"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )  # fmt: skip
    output = proc.stdout + proc.stderr
    assert proc.returncode == 1, output
    assert "1 failed, 1 passed" in output  # ok.yaml is not under gameday_paths: no item
    assert "failed gate failed_jobs" in output  # the message lists the failed gates
    assert "game day broken: completed" in output
    folders = sorted(p.name for p in (tmp_path / "reports").iterdir())
    assert len(folders) == 2, folders
    assert {f.rsplit("-", 2)[-2] for f in folders} <= {"gw0", "gw1"}  # run by xdist workers
    assert all((tmp_path / "reports" / f / "report.json").is_file() for f in folders)
