"""The fault settings of one fake backend, as plain values (no I/O, no asyncio).

:class:`~fake_backends.control.BackendControl` writes them (and journals every change);
the queue and every protocol's API read them. Keeping the meaning here means a fault
does the same thing whatever protocol a client speaks. Settings are frozen values, so
a fault is on exactly when its slot holds one and off when it holds ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ENDPOINTS",
    "RENAMEABLE_FIELDS",
    "ApiErrors",
    "CorruptResults",
    "JobFailures",
    "PartialResults",
    "RateLimit",
    "SchemaChange",
    "Switches",
]

#: Endpoint names a fault can target (every protocol maps its routes onto these).
ENDPOINTS = ("token", "backends", "properties", "submit", "status", "result", "cancel")

#: Documented response fields that ``api.schema_change`` may rename.
RENAMEABLE_FIELDS = (
    "access_token",
    "expires_in",
    "id",
    "status",
    "queue_position",
    "counts",
    "shots",
    "backends",
)


@dataclass(frozen=True, slots=True)
class ApiErrors:
    """A fraction ``rate`` of requests to ``endpoints`` (all if empty) get a 5xx.

    With ``after`` the request is processed first and its answer lost (a submit then
    creates a job the client never hears about): the gateway failed, not the backend.
    """

    rate: float
    statuses: tuple[int, ...] = (500, 502, 503)
    endpoints: tuple[str, ...] = ()
    after: bool = False

    def applies(self, endpoint: str) -> bool:
        return not self.endpoints or endpoint in self.endpoints


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most ``rate`` requests per scenario second per tenant, bursts of ``burst``."""

    rate: float
    burst: int = 5


@dataclass(frozen=True, slots=True)
class JobFailures:
    """A fraction ``rate`` of executed jobs ends in ERROR with ``code``."""

    rate: float
    code: str = "qpu_error"


@dataclass(frozen=True, slots=True)
class PartialResults:
    """A fraction ``rate`` of jobs returns only ``keep`` of its shots.

    ``silent``: the result still claims every shot was run (counts just sum to less);
    otherwise the result says ``partial: true`` and how many shots it holds.
    """

    rate: float
    keep: float = 0.5
    silent: bool = False


@dataclass(frozen=True, slots=True)
class CorruptResults:
    """A fraction ``rate`` of results is swapped with another job's, or bit-flipped."""

    rate: float
    mode: Literal["swap", "bitflip"] = "swap"


@dataclass(frozen=True, slots=True)
class SchemaChange:
    """Documented response fields renamed (old name -> new name)."""

    renames: Mapping[str, str]


@dataclass(slots=True)
class Switches:
    """Every fault setting of one backend; ``None``/neutral values mean "no fault"."""

    token_endpoint_status: int | None = None
    offline: bool = False
    maintenance: dict[str, Literal["reject", "hold"]] = field(default_factory=dict)
    stalled: bool = False
    queue_limit: int | None = None
    slowdown: float = 1.0
    extra_background_rate: float = 0.0
    extra_background_shots: int | None = None
    api_errors: ApiErrors | None = None
    rate_limit: RateLimit | None = None
    job_failures: JobFailures | None = None
    partial_results: PartialResults | None = None
    corrupt_results: CorruptResults | None = None
    schema_change: SchemaChange | None = None

    @property
    def status(self) -> Literal["online", "offline", "maintenance"]:
        """What the backend says it is (a stall is invisible: that is the point)."""
        if self.offline:
            return "offline"
        if self.maintenance:
            return "maintenance"
        return "online"

    @property
    def dispatching(self) -> bool:
        """Whether queued jobs may start."""
        return not (self.offline or self.maintenance or self.stalled)

    @property
    def rejecting_jobs(self) -> bool:
        """Whether new submissions are refused (outage, or maintenance in reject mode)."""
        return self.offline or "reject" in self.maintenance.values()

    @property
    def http_faults(self) -> bool:
        """Whether any fault acts at the HTTP level (else requests take the fast path)."""
        return self.api_errors is not None or self.rate_limit is not None or self.rejecting_jobs

    def active(self) -> list[str]:
        """Names of the settings that are on (for /metrics and the journal)."""
        on = []
        for name in (
            "token_endpoint_status",
            "api_errors",
            "rate_limit",
            "job_failures",
            "partial_results",
            "corrupt_results",
            "schema_change",
            "queue_limit",
        ):
            if getattr(self, name) is not None:
                on.append(name)
        if self.offline:
            on.append("outage")
        if self.maintenance:
            on.append("maintenance")
        if self.stalled:
            on.append("stall")
        if self.slowdown != 1.0:
            on.append("slowdown")
        if self.extra_background_rate > 0:
            on.append("saturation")
        return on
