"""One game day against IBM's protocol and IonQ's at once, with failover between them.

``examples/ibm_orchestrator`` uses qiskit-ibm-runtime for its primary (an IBM backend)
and qiskit-ionq for its fallback (``ionq:aria-1``, the trapped-ion device built from
IonQ's published figures), both unmodified and configured by their own environment
variables (``target.protocols`` points ``IONQ_API_*`` at the IonQ backend). Started by
the harness as a ``command`` target at 20x under libfaketime; the IBM backend is paused
for maintenance for 4 scenario minutes (``examples/ibm-ionq-failover.yaml``).
"""

from __future__ import annotations

import json

import pytest

from tests.integration.runs import journal
from tests.integration.test_command_target import play_example

pytestmark = pytest.mark.slow  # a whole game day (~50 s)

FAULT = (300.0, 540.0)  # the maintenance window, scenario seconds (the scenario's at/duration)


def test_experiments_move_to_ionq_while_ibm_is_paused_and_back(tmp_path):
    out, r = play_example(tmp_path, "ibm-ionq-failover.yaml")
    (incident,) = r["incidents"]
    assert incident["detected"]  # its own page: no usable IBM backend for 30 s
    assert incident["mitigation"] == "SUT: failover-to-ionq"
    assert incident["ttm_s"] < 30  # it failed over within a few of its 2 s ticks
    jobs = r["jobs"]
    assert jobs["lost"] == jobs["failed"] == jobs["wrong"] == jobs["unexpected"] == 0
    assert jobs["duplicate_executions"] == jobs["unattributed_executions"] == 0
    assert jobs["ok"] == jobs["submitted"] > 100
    assert jobs["by_fingerprint"] == jobs["ok"]  # each execution is one known job
    assert r["sut"]["clock"].startswith("libfaketime at 20x")

    executions = [x for x in journal(out) if x["type"] == "backend.execution"]
    on_ionq = [x["started"] for x in executions if x["backend"] == "aria-1"]
    on_ibm = [x["started"] for x in executions if x["backend"] == "manila"]
    # IonQ ran what arrived during the window, and only then (a tick of slack after)
    assert len(on_ionq) > 20
    assert all(FAULT[0] <= t <= FAULT[1] + 30 for t in on_ionq)
    # IBM ran the rest: before the window, and again after it (nothing starts in it)
    assert not [t for t in on_ibm if FAULT[0] + 1 < t < FAULT[1]]
    assert [t for t in on_ibm if t > FAULT[1]]
    assert len(on_ionq) + len(on_ibm) == jobs["ok"]

    lines = (out / "sut" / "experiments.jsonl").read_text().splitlines()
    final = {x["id"]: x for x in map(json.loads, lines)}  # its store: the last line wins
    by_provider = {
        p: [x for x in final.values() if x.get("provider") == p] for p in ("ibm", "ionq")
    }
    assert len(by_provider["ionq"]) == len(on_ionq)
    assert all(x["state"] == "completed" for x in final.values())
    log = (out / "sut.log").read_text()
    assert "connected to IonQ qpu.aria-1 (25 qubits)" in log
    assert "new experiments go to IonQ" in log
    assert "new experiments go to IBM" in log
