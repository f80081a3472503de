"""Synthetic journals for unit tests: records built the way the runner writes them."""

from __future__ import annotations

from typing import Any

from harness.scoring import Score, ScoringConfig, SloSpec, score

IDEAL = {"00": 0.5, "11": 0.5}
GOOD_COUNTS = {"00": 510, "11": 514}

SCENARIO = {
    "name": "demo",
    "description": "A synthetic game day.",
    "duration": "20m",
    "warmup": "2m",
    "drain": "5m",
    "backends": [{"name": "manila"}],
    "slos": {
        "success": {"objective": 0.95},
        "latency": {"objective": 0.9, "threshold": "1m"},
    },
    "faults": [{"id": "f1", "kind": "auth.token_expiry", "at": "5m", "duration": "1m"}],
}


def config(**kw: Any) -> ScoringConfig:
    base: dict[str, Any] = {
        "tick": 10.0,
        "stable_window": 120.0,
        "load_end": 1200.0,
        "slos": (SloSpec("success", 0.95), SloSpec("latency", 0.9, threshold=60.0)),
        "gates": (),
    }
    return ScoringConfig(**{**base, **kw})


class Journal:
    """Builds journal records the way the runner writes them."""

    def __init__(self, scenario: dict[str, Any] | None = None) -> None:
        self.records: list[dict[str, Any]] = []
        if scenario is not None:
            self.add(0.0, "run.config", scenario=scenario["name"], file="demo.yaml",
                     source=scenario, seed=0, time_scale=60.0)  # fmt: skip

    def add(self, t: float, type: str, **data: Any) -> None:
        self.records.append({"t": t, "type": type, **data})

    def job(
        self,
        n: int,
        t: float,
        *,
        done: float | None,
        ok: bool = True,
        counts: dict[str, int] | None = None,
        nonce: str | None = None,
        started: float | None = None,
        tenant: str | None = None,
        circuit: str | None = None,
    ) -> str:
        jid = f"j{n}"
        ideal = {nonce: 1.0} if nonce else IDEAL
        extra: dict[str, Any] = {"nonce": nonce} if nonce else {}
        if tenant is not None:
            extra["tenant"] = tenant
        if circuit is not None:
            extra["circuit"] = circuit
        self.add(t, "job.submitted", job=jid, shots=1024, width=2, ideal=ideal, **extra)
        self.add(t + 0.1, "job.accepted", job=jid, sut_id=f"s{n}")
        if started is not None:
            self.add(started + 1.0, "backend.execution", idempotency_key=jid, shots=1024,
                     qpu_s=1.0, status="DONE", started=started)  # fmt: skip
        if done is not None:
            if ok:
                default = {nonce: 1000, "00" if nonce != "00" else "11": 24} if nonce else None
                self.add(done, "job.completed", job=jid, counts=counts or default or GOOD_COUNTS)
            else:
                self.add(done, "job.failed", job=jid, error="boom")
        return jid

    def fault(self, start: float, end: float, fid: str = "f1") -> None:
        self.add(start, "fault.started", id=fid, kind="auth.token_expiry")
        self.add(end, "fault.ended", id=fid, kind="auth.token_expiry", reverted=True)

    def end(self, t: float, status: str = "completed") -> list[dict[str, Any]]:
        self.add(t, "run.ended", status=status, reason=None)
        return sorted(self.records, key=lambda r: r["t"])


def outage_journal(
    bad_from: float = 300.0, bad_until: float = 415.0, scenario: dict[str, Any] | None = None
) -> Journal:
    """A job every 5 s taking 5 s; jobs submitted in [bad_from, bad_until) fail."""
    j = Journal(scenario)
    for n in range(240):
        t = n * 5.0
        j.job(n, t, done=t + 5.0, ok=not bad_from <= t < bad_until)
    return j


def scored_outage(bad_from: float, seconds: float) -> Score:
    """The score of :func:`outage_journal` failing ``seconds`` from ``bad_from``, with one
    10-second fault at its start (what the outage-length properties compare)."""
    j = outage_journal(bad_from=bad_from, bad_until=bad_from + seconds)
    j.fault(bad_from, bad_from + 10.0)
    return score(j.end(1205.0), config())
