"""The whole scenario catalogue, each game day played to the verdict it is designed to give.

Every file in ``scenarios/`` states its ``expect`` (``pass``, or ``fail`` with the gates
that must catch the failure: :mod:`harness.scenario.catalogue`). Each one is played
through the real ``gameday`` command on its default clock (virtual, or scaled at its
own time scale where a part keeps real time) and judged whatever the
machine's lag (``--lag-tolerance``: these check what the orchestrator did, not how
precisely a shared machine timed it; the instrument's own verdict is tested in
``test_instrument.py``). Whole game days: marked ``slow``; under pytest-xdist
(``-n 2``) they spread over the workers, each with its own ports, processes and run
folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.scenario.parse import load_scenario
from tests.integration.runs import JUDGED, ROOT, checked_report, gameday

SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))

#: Played by every ``make test``: a passing and a failing variant (about 10 s each on the
#: virtual clock). The whole catalogue is its own CI step: ``make test-catalogue`` (after
#: ``make test`` in ``.ci/run``) sets ``QG_CATALOGUE=all`` and plays every scenario on
#: four workers (most of them wait on scaled clocks and SUT processes); ``make catalogue``
#: records what each showed for README's tables (``tests/unit/test_readme_catalogue.py``
#: checks those are current).
ALWAYS = {"telemetry-webhook-down", "secrets-logged-credentials"}
EVERY = os.environ.get("QG_CATALOGUE") == "all"


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario_gives_its_designed_verdict(path: Path, tmp_path: Path) -> None:
    if not EVERY and path.stem not in ALWAYS:
        pytest.skip("the whole catalogue: make test-catalogue (QG_CATALOGUE=all)")
    scenario = load_scenario(path)
    assert scenario.expect is not None, f"{path.name}: no expect"
    out = tmp_path / scenario.name
    budget = (scenario.duration + scenario.drain) / scenario.time_scale
    proc = gameday("run", str(path), *JUDGED, "--out", str(out), "-q", timeout=120 + 4 * budget)
    report = checked_report(out)
    failed = {g["name"] for g in report["gates"] if not g["passed"]}
    seen = f"{path.name}: exit {proc.returncode}, status {report['status']}, failed {failed}"
    assert report["status"] == "completed", seen + f" ({report['reason']})"
    if scenario.expect.verdict == "pass":
        assert (proc.returncode, failed) == (0, set()), seen
    else:
        assert proc.returncode == 1, seen
        assert set(scenario.expect.gates) <= failed, seen
