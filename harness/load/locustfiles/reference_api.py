"""Locustfile for the reference orchestrator's API (and any orchestrator speaking it).

``POST /jobs`` ``{circuit, shots, format, idempotency_key, tenant}`` -> 202 ``{id, state}``;
``GET /jobs/{id}`` -> ``{state: queued|submitted|completed|failed, counts, error}``.
Each user submits a circuit, polls it to the end (the last answer carries the counts),
thinks, and starts again. Options: see :mod:`harness.load.locustfiles.jobs`.

    gameday load --target http://127.0.0.1:8080 --locustfile reference --users 20 --run-time 1m
"""

from harness.load.locustfiles.jobs import JobUser


class ReferenceOrchestratorUser(JobUser):
    """A client of the reference orchestrator API."""
