"""A small real orchestrator: the default system under test of qgameday.

It takes circuits from clients, dispatches them to a fake (or real) backend speaking
the native API, polls for results, refreshes its access token on 401 (unless the
no-refresh variant is configured) and pages a webhook when its backend failure ratio
crosses a threshold.
"""

from reference_orchestrator.app import Orchestrator
from reference_orchestrator.config import AlertRule, BackendLink, Behaviour, OrchestratorConfig

__all__ = ["AlertRule", "BackendLink", "Behaviour", "Orchestrator", "OrchestratorConfig"]
