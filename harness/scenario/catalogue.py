"""A scenario's place in the catalogue: its ``family`` and the verdict it is built to give.

::

    family: credentials          # gameday list groups the catalogue by it
    expect: pass                 # against its own target: every gate passes
    expect: {fail: [ttd, mttr]}  # or: the run completes and (at least) these gates fail

``expect`` is what the scenario's author measured and designed: a scenario rehearsing a
failure the reference orchestrator handles expects ``pass``; its broken variant (a
switch turned off in ``target:``) names the gates that catch it. The catalogue test
(``tests/integration/test_catalogue.py``) plays every scenario in ``scenarios/`` and
checks this, and ``gameday list`` shows it. A gate named under ``fail`` must be one of
the scenario's ``gates`` (checked at load time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from harness.fields import Fields

__all__ = ["FAMILIES", "Expectation", "parse_expectation", "parse_family"]

#: family -> what its scenarios rehearse (``gameday list`` prints them in this order)
FAMILIES: dict[str, str] = {
    "credentials": "tokens, their refresh and the API keys behind them",
    "queue": "queues that stall, fill up or refuse work; quotas and rate limits",
    "network": "partitions, refused connections, flapping links",
    "backend": "outages, maintenance, failing jobs, configuration that changes",
    "provider-api": "what the provider's API answers: renamed fields, unknown states, "
    "removed routes, error bodies that are not JSON, lost answers",
    "calibration": "calibration drift, bad qubits, stale properties",
    "results": "results that are wrong, swapped, short, drifting or too good to be true",
    "cost": "spend in shots and QPU-seconds; retry storms",
    "telemetry": "the orchestrator's alert path and metrics going dark",
    "alerting": "alert quality: false pages, storms, pages that never resolve",
    "tenancy": "fairness between tenants; a noisy tenant",
    "hybrid": "iterative classical-quantum loops and their latency",
    "secrets": "API keys and tokens leaking into logs, alerts and requests",
    "orchestrator": "the orchestrator's own process: crashes and pauses",
}


@dataclass(frozen=True, slots=True)
class Expectation:
    """The verdict a scenario is designed to give: ``pass``, or ``fail`` with the gates
    that must fail (others may fail too)."""

    verdict: Literal["pass", "fail"]
    gates: tuple[str, ...] = ()

    def describe(self) -> str:
        """``pass``, or ``fail: ttd, mttr``."""
        return "pass" if self.verdict == "pass" else "fail: " + ", ".join(self.gates)


def parse_family(f: Fields) -> str | None:
    """The ``family`` key (optional; one of :data:`FAMILIES`)."""
    family: str | None = f.text("family", None, choices=tuple(FAMILIES))
    return family


def parse_expectation(f: Fields, gates: Sequence[str]) -> Expectation | None:
    """The ``expect`` key: ``pass`` or ``{fail: [gate, ...]}`` naming gates of ``gates``."""
    raw = f.raw("expect", None)
    if raw is None:
        return None
    if raw == "pass":
        return Expectation("pass")
    if not isinstance(raw, dict) or set(raw) != {"fail"}:
        raise f.error(f"expected pass or {{fail: [gate, ...]}}, found {raw!r}", "expect")
    named = raw["fail"]
    if not isinstance(named, list) or not named or not all(isinstance(g, str) for g in named):
        raise f.error(f"expected a list of gate names, found {named!r}", "expect.fail")
    for gate in named:
        if gate not in gates:
            known = ", ".join(gates) or "none"
            raise f.error(f"{gate!r} is not one of this scenario's gates ({known})", "expect.fail")
    return Expectation("fail", tuple(named))
