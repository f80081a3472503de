"""Whole game days with the reference orchestrator speaking IonQ's protocol (issue 11).

``ionq-rate-limit``: its only backend is reached over IonQ v0.4 (429s on every endpoint
for 6 minutes); ``ionq-failover``: an IBM device over the native API and a backend over
IonQ at once, the link to the first a black hole for 5 minutes. Through the real
``gameday`` command, in a subprocess, like test_gameday_e2e.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.integration.runs import JUDGED, checked_report, gameday, journal


def _played(name: str, tmp_path: Path) -> list[dict[str, Any]]:
    """Play ``name``: it passes, its jobs check out (:func:`_checked`), its one incident
    was detected and recovered from; the run's journal."""
    out = tmp_path / name
    proc = gameday("run", name, *JUDGED, "--out", str(out), "-q", timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = checked_report(out)
    _checked(report)
    (incident,) = report["incidents"]
    assert incident["detected"], incident
    assert incident["recovered"], incident
    return journal(out)


def _checked(report: dict[str, Any]) -> None:
    jobs = report["jobs"]
    assert jobs["ok"] == jobs["submitted"] > 150
    assert (jobs["lost"], jobs["duplicated"], jobs["wrong"], jobs["unexpected"]) == (0, 0, 0, 0)
    # canaries and fingerprints: every result came back under the right job, the counts
    # remapped from IonQ's per-qubit states to the circuit's bits
    assert jobs["canaries"] > 10
    assert jobs["identity_checked"] >= jobs["canaries"]


@pytest.mark.slow
def test_the_reference_orchestrator_over_ionq_rides_out_a_rate_limit(tmp_path):
    records = _played("ionq-rate-limit", tmp_path)
    submitted = Counter(x.get("protocol") for x in records if x["type"] == "backend.job_submitted")
    assert set(submitted) == {"ionq"}
    limited = Counter(x["endpoint"] for x in records if x["type"] == "backend.rate_limited")
    assert limited["submit"] > 0  # 429s on every endpoint
    assert limited["status"] > 0


@pytest.mark.slow
def test_failover_between_a_native_and_an_ionq_backend(tmp_path):
    records = _played("ionq-failover", tmp_path)
    fault = next(x for x in records if x["type"] == "fault.started")
    by_wire = Counter(
        (x["backend"], x.get("protocol"), x["t"] > fault["t"])
        for x in records
        if x["type"] == "backend.job_submitted"
    )
    assert by_wire[("manila", "native", False)] > 20  # the primary, before the fault
    assert by_wire[("lima", "ionq", True)] > 10  # failed over to the IonQ backend
    assert set(by_wire) <= {("manila", "native", b) for b in (True, False)} | {
        ("lima", "ionq", b) for b in (True, False)
    }
