"""The reference orchestrator's behaviour switches in a scenario's ``target:``.

::

    target:
      kind: reference
      refresh_ahead: 0.5        # refresh tokens with half their life left
      credential_alert: false   # the naive variant: no page when the API key is refused

Each key is one field of :class:`reference_orchestrator.Behaviour` (its docstring says
what each does); the catalogue's passing and failing variants of an incident differ by
one of them. Only for ``kind: reference``: another SUT has its own configuration.
"""

from __future__ import annotations

from typing import Any

from harness.fields import Fields
from reference_orchestrator import Behaviour

__all__ = ["BEHAVIOUR_KEYS", "parse_behaviour"]

#: the keys, in the order the README lists them
BEHAVIOUR_KEYS = (
    "refresh_ahead",
    "credential_alert",
    "resubmit_attempts",
    "retry_budget",
    "scrape_watchdog",
    "log_credentials",
    "stuck_after",
    "tenant_inflight",
    "check_result_source",
    "route_by_queue",
    "refresh_target",
)


def parse_behaviour(f: Fields) -> Behaviour:
    """The switches present in ``f`` (a ``target:`` mapping); defaults for the rest."""
    d = Behaviour()
    values: dict[str, Any] = {
        "refresh_ahead": f.number("refresh_ahead", d.refresh_ahead, min=0.0, max=0.9),
        "credential_alert": f.flag("credential_alert", d.credential_alert),
        "resubmit_attempts": f.integer("resubmit_attempts", d.resubmit_attempts, min=0, max=1000),
        "retry_budget": f.number("retry_budget", d.retry_budget, min=0.0, max=10.0),
        "scrape_watchdog": f.duration("scrape_watchdog", d.scrape_watchdog),
        "log_credentials": f.flag("log_credentials", d.log_credentials),
        "stuck_after": f.duration("stuck_after", d.stuck_after),
        "tenant_inflight": f.integer("tenant_inflight", d.tenant_inflight, min=1, max=10_000),
        "check_result_source": f.flag("check_result_source", d.check_result_source),
        "route_by_queue": f.flag("route_by_queue", d.route_by_queue),
        "refresh_target": f.flag("refresh_target", d.refresh_target),
    }
    return Behaviour(**values)
