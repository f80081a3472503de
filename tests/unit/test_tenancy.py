"""Per-tenant SLIs and fairness: the scoring side, the noisy tenant's plan, the fair line."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest

from harness.load.config import NoisyTenant, WorkloadConfig
from harness.load.plan import JobPlan
from harness.scoring import GateSpec, score
from plumbing.clock import ScaledClock
from plumbing.seeds import derive
from reference_orchestrator.pending import FairLine, FifoLine
from reference_orchestrator.store import JobStore
from tests.unit.journals import Journal, config
from tests.unit.scenario_files import SMALLEST, error_of


def _flooded(fair: bool) -> list[dict[str, object]]:
    """Tenant a sends 40 jobs at t=100..140, b and c 5 each; the device runs one in
    3 s. FIFO: b and c start behind a's backlog; fair: ahead of it."""
    j = Journal()
    arrivals = sorted(
        [(100.0 + n, "a") for n in range(40)] + [(105.0 + 7 * n, t) for n in range(5) for t in "bc"]
    )
    order = arrivals if not fair else sorted(arrivals, key=lambda x: (x[1] == "a", x[0]))
    start = {(t, who): 100.0 + 3.0 * i for i, (t, who) in enumerate(order)}
    for n, (t, who) in enumerate(arrivals):
        s = max(t, start[(t, who)])
        j.job(n, t, done=s + 2.0, started=s, tenant=who)
    return j.end(400.0)


def _gates(records: list[dict[str, object]]) -> dict[str, float | None]:
    cfg = config(gates=(GateSpec("quiet_tenant_queue_wait_p95", "max", 30.0),
                        GateSpec("worst_tenant_success", "min", 0.99)))  # fmt: skip
    return {g.name: g.value for g in score(records, cfg).gates}


def test_per_tenant_figures_name_the_noisy_tenant_and_the_quiet_ones() -> None:
    result = score(_flooded(fair=False), config())
    by = {t.tenant: t for t in result.tenants}
    assert [t.tenant for t in result.tenants][0] == "a"  # busiest first
    assert (by["a"].jobs, by["b"].jobs, by["c"].jobs) == (40, 5, 5)
    assert not by["a"].quiet
    assert by["b"].quiet
    assert by["c"].quiet
    assert by["b"].success_rate == 1.0


def test_a_fifo_makes_quiet_tenants_wait_and_fair_turns_do_not() -> None:
    fifo, fair = _gates(_flooded(fair=False)), _gates(_flooded(fair=True))
    assert fifo["quiet_tenant_queue_wait_p95"] is not None
    assert fifo["quiet_tenant_queue_wait_p95"] > 20.0  # behind a's backlog
    assert fair["quiet_tenant_queue_wait_p95"] == 0.0
    assert fifo["worst_tenant_success"] == fair["worst_tenant_success"] == 1.0


def test_a_job_still_waiting_at_the_end_waited_until_then() -> None:
    j = Journal()
    j.job(1, 10.0, done=12.0, started=10.0, tenant="a")
    j.job(2, 10.0, done=None, tenant="b")  # accepted, never started
    result = score(j.end(300.0), config())
    by = {t.tenant: t for t in result.tenants}
    assert by["b"].queue_wait_p95 == pytest.approx(290.0)
    assert by["b"].success_rate == 0.0


def test_a_journal_without_tenants_has_no_tenant_figures_and_the_gate_fails() -> None:
    j = Journal()
    j.job(1, 10.0, done=12.0, started=10.0)
    records = j.end(60.0)
    assert score(records, config()).tenants == ()
    assert _gates(records)["quiet_tenant_queue_wait_p95"] is None  # fails: no data


def test_a_noisy_tenant_is_the_first_tenant_inside_its_window_and_seeded() -> None:
    cfg = WorkloadConfig(rate=0.1, tenants=3, noisy=NoisyTenant(rate=2.0, at=100.0, duration=50.0))
    plan = JobPlan(cfg, seed=5)
    jobs = plan.until(300.0)
    again = JobPlan(cfg, seed=5).until(300.0)
    assert jobs == again
    first = plan.tenants[0]
    inside = [j for j in jobs if 100.0 <= j.due < 150.0]
    assert len(inside) > 60  # ~100 of the flood plus the usual ~5
    assert sum(j.tenant == first for j in inside) > 0.9 * len(inside)
    assert [j.due for j in jobs] == sorted(j.due for j in jobs)
    assert len({j.key for j in jobs}) == len(jobs)


def test_without_a_noisy_tenant_the_plan_is_unchanged() -> None:
    # the lookahead on the main stream draws the same numbers as before
    plan = JobPlan(WorkloadConfig(rate=1.0), seed=7).until(30.0)
    arrivals, t = random.Random(derive(7, "arrivals")), 0.0
    expected = []
    for _ in plan:
        t += arrivals.expovariate(1.0)
        expected.append(t)
    assert [j.due for j in plan] == expected


def test_a_noisy_tenant_needs_the_builtin_engine(tmp_path: Path) -> None:
    text = SMALLEST + "workload:\n  engine: locust\n  noisy: {rate: 1/s, at: 1m, duration: 1m}\n"
    err = error_of(tmp_path, text, match="built-in workload")
    assert "workload.noisy" in str(err)


class _Job:
    def __init__(self, jid: str, tenant: str) -> None:
        self.id, self.tenant = jid, tenant


def test_the_fair_line_serves_tenants_in_turn_within_their_limit() -> None:
    line = FairLine(limit=2)
    for n in range(5):
        line.push(_Job(f"a{n}", "a"))  # type: ignore[arg-type]
    line.push(_Job("b0", "b"))  # type: ignore[arg-type]
    line.push(_Job("b1", "b"))  # type: ignore[arg-type]
    taken = [line.take() for _ in range(5)]
    assert [j.id if j else None for j in taken] == ["a0", "b0", "a1", "b1", None]  # a at 2
    assert taken[0] is not None
    assert line.release(taken[0])
    assert not line.release(taken[0])  # released once
    nxt = line.take()
    assert nxt is not None
    assert nxt.id == "a2"


def test_the_fifo_line_is_first_come_first_served() -> None:
    line = FifoLine()
    for jid, tenant in (("a0", "a"), ("a1", "a"), ("b0", "b")):
        line.push(_Job(jid, tenant))  # type: ignore[arg-type]
    assert [j.id for j in (line.take(), line.take(), line.take()) if j] == ["a0", "a1", "b0"]


async def test_the_store_waits_for_room_and_wakes_when_a_job_of_the_tenant_ends() -> None:
    store = JobStore(ScaledClock(1.0), tenant_inflight=1)
    first, _ = store.create(circuit="c", fmt="qasm3", shots=1, tenant="a", key="k1")
    store.create(circuit="c", fmt="qasm3", shots=1, tenant="a", key="k2")
    assert await store.next_pending() is first
    waiting = asyncio.ensure_future(store.next_pending())
    await asyncio.sleep(0)
    assert not waiting.done()  # a has one out, its limit
    store.mark_submitted(first, "m", "x1")
    store.complete(first, {"0": 1})
    second = await asyncio.wait_for(waiting, 1.0)
    assert second.key == "k2"
