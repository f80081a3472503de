"""The tiny orchestrator's job API as a Python adapter (the other way to describe an API).

`tiny-token-expiry.yaml` describes the same API declaratively (`target.api`); a scenario
can name this class instead: `adapter: tiny_api.py:TinyApi` (relative to the scenario).
An adapter translates requests and answers only (no I/O), so the built-in workload and
Locust's JobUser both use it.
"""

from harness.sut.api import ApiMapping, MappedApi

TINY = ApiMapping(
    submit_path="/api/v2/runs",
    submit_body={
        "program": {"qasm": "{circuit}"},
        "shots": "{shots}",
        "request_id": "{key}",
        "project": "{tenant}",
    },
    id_pointer="/run/id",
    status_path="/api/v2/runs/{id}",
    state_pointer="/run/status",
    counts_pointer="/run/result/counts",
    error_pointer="/run/message",
    completed=("DONE",),
    failed=("ERROR",),
    pending=("PENDING", "SUBMITTED"),
)


class TinyApi(MappedApi):
    """The tiny orchestrator's `/api/v2/runs` API."""

    def __init__(self) -> None:
        super().__init__(TINY)
