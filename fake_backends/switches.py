"""The fault settings of one fake backend, as plain values (no I/O, no asyncio).

A fault that is "on with these parameters until reverted" is one :class:`Setting`
subclass here: a frozen value whose fields are the fault's parameters. The harness's
fault kind holds that value (no second copy of its parameters) and
:meth:`BackendControl.set <fake_backends.control.BackendControl.set>` /
:meth:`~fake_backends.control.BackendControl.clear` turn it on and off, journalled.
The code that acts on a setting reads it where it acts (``switches.get(JobFailures)`` in
the queue, the HTTP-fault middleware, a protocol), so a fault does the same thing
whatever protocol a client speaks. Every setting defined here is listed in
:data:`SETTINGS` (by a scan at the end of this module): /metrics reports each one.

Adding one: a frozen slotted dataclass deriving from :class:`Setting` with a ``name``
(its /metrics label). ``switch``, ``journal()`` and ``cleared`` say how the journal
shows it (default: ``name``, its fields, ``None``); one without parameters derives from
``_Flag`` (journalled ``True``/``False``), one whose first field is a level (a factor, a
rate, a limit) from ``_Level`` (journalled as that number).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, TypeVar, cast

__all__ = [
    "ENDPOINTS",
    "RENAMEABLE_FIELDS",
    "SETTINGS",
    "ApiErrors",
    "ConfigChange",
    "CorruptResults",
    "SimulatorFallback",
    "JobFailures",
    "LostJobs",
    "Outage",
    "PartialResults",
    "PendingJobsLimit",
    "QueueLimit",
    "RateLimit",
    "RunningWithoutQpu",
    "Saturation",
    "SchemaChange",
    "SessionTtl",
    "Setting",
    "Slowdown",
    "Stall",
    "StuckQueued",
    "Switches",
    "UnknownStatus",
    "UsageLimit",
]

#: Endpoint names a fault can target (every protocol maps its routes onto these;
#: ``usage`` and ``sessions`` exist in the IBM protocol only).
ENDPOINTS = (
    "token",
    "backends",
    "properties",
    "submit",
    "status",
    "result",
    "cancel",
    "usage",
    "sessions",
)

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


class Setting:
    """Base of every fault setting: on while a backend holds it, off once cleared."""

    __slots__ = ()

    name: ClassVar[str]  #: its label in /metrics (``qgameday_fault_active``)
    cleared: ClassVar[Any] = None  #: the journal's ``value`` once it is cleared

    @classmethod
    def switch(cls) -> str:
        """The ``switch`` a ``backend.switch`` record names (default: :attr:`name`)."""
        return cls.name

    def journal(self) -> Any:
        """The ``value`` of the ``backend.switch`` record when it is set."""
        return dataclasses.asdict(self)  # type: ignore[call-overload]


S = TypeVar("S", bound=Setting)


class _Flag(Setting):
    """A setting without parameters: the journal says ``True`` when on, ``False`` off,
    under the name the switch has always had (``_switch``; default: ``name``)."""

    __slots__ = ()
    cleared: ClassVar[Any] = False
    _switch: ClassVar[str | None] = None

    @classmethod
    def switch(cls) -> str:
        return cls._switch or cls.name

    def journal(self) -> Any:
        return True


class _Level(Setting):
    """A setting the journal shows as one number, its first field (a factor, a rate, a
    limit): the level a fault turns up or down, which a dashboard can plot."""

    __slots__ = ()

    def journal(self) -> Any:
        return getattr(self, dataclasses.fields(self)[0].name)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Outage(_Flag):
    """Offline: status ``offline``, submissions 503 ``backend_offline``, nothing starts."""

    name: ClassVar[str] = "outage"
    _switch: ClassVar[str] = "offline"


@dataclass(frozen=True, slots=True)
class Stall(_Flag):
    """The scheduler stops dispatching; the status still says online (that is the point)."""

    name: ClassVar[str] = "stall"
    _switch: ClassVar[str] = "stalled"


@dataclass(frozen=True, slots=True)
class Slowdown(_Level):
    """Service time x ``factor`` for jobs starting while it is on."""

    name: ClassVar[str] = "slowdown"
    cleared: ClassVar[Any] = 1.0
    factor: float

    def __post_init__(self) -> None:
        if not self.factor > 0:
            raise ValueError(f"slowdown factor must be > 0, got {self.factor}")


@dataclass(frozen=True, slots=True)
class Saturation(_Level):
    """Other tenants add ``rate`` background jobs per scenario second (of ``shots`` each,
    default: the backend's own background shots)."""

    name: ClassVar[str] = "saturation"
    cleared: ClassVar[Any] = 0.0
    rate: float
    shots: int | None = None

    @classmethod
    def switch(cls) -> str:
        return "extra_background_rate"


@dataclass(frozen=True, slots=True)
class QueueLimit(_Level):
    """The queue accepts at most ``max_depth`` jobs (429 + Retry-After past it)."""

    name: ClassVar[str] = "queue_limit"
    max_depth: int


@dataclass(frozen=True, slots=True)
class ApiErrors(Setting):
    """A fraction ``rate`` of requests to ``endpoints`` (all if empty) get a 5xx.

    With ``after`` the request is processed first and its answer lost (a submit then
    creates a job the client never hears about): the gateway failed, not the backend.
    """

    name: ClassVar[str] = "api_errors"
    rate: float
    statuses: tuple[int, ...] = (500, 502, 503)
    endpoints: tuple[str, ...] = ()
    after: bool = False

    def applies(self, endpoint: str) -> bool:
        return not self.endpoints or endpoint in self.endpoints


@dataclass(frozen=True, slots=True)
class RateLimit(Setting):
    """At most ``rate`` requests per scenario second per tenant, bursts of ``burst``."""

    name: ClassVar[str] = "rate_limit"
    rate: float
    burst: int = 5


@dataclass(frozen=True, slots=True)
class JobFailures(Setting):
    """A fraction ``rate`` of executed jobs ends in ERROR with ``code``."""

    name: ClassVar[str] = "job_failures"
    rate: float
    code: str = "qpu_error"


@dataclass(frozen=True, slots=True)
class PartialResults(Setting):
    """A fraction ``rate`` of jobs returns only ``keep`` of its shots.

    ``silent``: the result still claims every shot was run (counts just sum to less);
    otherwise the result says ``partial: true`` and how many shots it holds.
    """

    name: ClassVar[str] = "partial_results"
    rate: float
    keep: float = 0.5
    silent: bool = False


@dataclass(frozen=True, slots=True)
class CorruptResults(Setting):
    """A fraction ``rate`` of results is swapped with another job's, or bit-flipped."""

    name: ClassVar[str] = "corrupt_results"
    rate: float
    mode: Literal["swap", "bitflip"] = "swap"


@dataclass(frozen=True, slots=True)
class ConfigChange(Setting):
    """The served configuration changes: ``basis_gates`` replaced (None: kept) and the
    couplers in ``remove_edges`` taken out (:mod:`fake_backends.configuration`)."""

    name: ClassVar[str] = "config_change"
    basis_gates: tuple[str, ...] | None = None
    remove_edges: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SimulatorFallback(Setting):
    """Jobs run on an ideal (noiseless) simulator instead of the device; ``disclosed``:
    the result's ``executed_on`` says ``aer_simulator`` (else the device's name)."""

    name: ClassVar[str] = "simulator_fallback"
    disclosed: bool = True


@dataclass(frozen=True, slots=True)
class SchemaChange(Setting):
    """A documented response field (``field``) is renamed ``to`` in every answer."""

    name: ClassVar[str] = "schema_change"
    field: str
    to: str

    @property
    def renames(self) -> Mapping[str, str]:
        return {self.field: self.to}

    def apply(self, body: Any, spelling: Mapping[str, str]) -> Any:
        """``body`` with the field renamed where a protocol spells it (``spelling``: the
        native name -> that protocol's; a field it lacks is not renamed there). A body
        that is not a JSON object is returned as it is."""
        if not isinstance(body, dict):
            return body
        out = dict(body)
        for native, new in self.renames.items():
            field = spelling.get(native)
            if field is not None and field in out:
                out[new] = out.pop(field)
        return out


@dataclass(frozen=True, slots=True)
class LostJobs(Setting):
    """A fraction ``rate`` of jobs answer 404 ``job_not_found`` on every lookup (status,
    result, cancel) in every protocol: a lost handle, as after a provider-side restart
    (qiskit-ionq #242). The jobs still run. Which jobs is fixed per job id and seed."""

    name: ClassVar[str] = "lost_jobs"
    rate: float = 1.0


@dataclass(frozen=True, slots=True)
class UnknownStatus(Setting):
    """Finished jobs are reported in a status the client does not know (``status``,
    default ``deleted``: seen from IonQ, where it made clients poll forever), in each
    protocol's spelling (native ``DELETED``, IBM ``Deleted``, IonQ ``deleted``)."""

    name: ClassVar[str] = "unknown_status"
    status: str = "deleted"


@dataclass(frozen=True, slots=True)
class UsageLimit(_Flag):
    """The instance has used its QPU allowance: its jobs are accepted and wait, queued,
    without an error, until time is made available (IBM's usage endpoint says so)."""

    name: ClassVar[str] = "usage_limit"


@dataclass(frozen=True, slots=True)
class PendingJobsLimit(_Level):
    """A tenant may have at most ``max_pending`` unfinished jobs; more are refused."""

    name: ClassVar[str] = "pending_jobs_limit"
    max_pending: int = 3


@dataclass(frozen=True, slots=True)
class SessionTtl(_Level):
    """Sessions live at most ``max_ttl`` scenario seconds from their creation (0: every
    open session reaches its end at once): they close, their queued jobs are cancelled."""

    name: ClassVar[str] = "session_ttl"
    max_ttl: float = 0.0


@dataclass(frozen=True, slots=True)
class RunningWithoutQpu(_Flag):
    """Jobs that start report RUNNING but their QPU time does not start (they hold their
    slot) until the setting is cleared; then they run as usual."""

    name: ClassVar[str] = "running_without_qpu"


@dataclass(frozen=True, slots=True)
class StuckQueued(Setting):
    """A fraction ``rate`` of the client jobs submitted while it is on never leave QUEUED
    (they are never dispatched, also after it is cleared, until cancelled)."""

    name: ClassVar[str] = "stuck_queued"
    rate: float = 1.0


#: Every setting kind, in declaration order (each has a /metrics label).
SETTINGS: tuple[type[Setting], ...] = tuple(
    obj
    for obj in list(globals().values())
    if isinstance(obj, type) and issubclass(obj, Setting) and obj not in (Setting, _Flag, _Level)
)

Watcher = Callable[[], None]


@dataclass(slots=True)
class Switches:
    """Every fault setting of one backend; an absent setting means "no fault".

    Besides the :class:`Setting` values it holds two states that are not one fault's:
    the token endpoint's failure status and the maintenance windows (scheduled ones and
    a fault's, each under its own key).
    """

    token_endpoint_status: int | None = None
    maintenance: dict[str, Literal["reject", "hold"]] = field(default_factory=dict)
    _on: dict[type[Setting], Setting] = field(default_factory=dict)
    _watchers: dict[type[Setting], list[Watcher]] = field(default_factory=dict)

    def get(self, kind: type[S]) -> S | None:
        """The setting of this kind that is on, or None."""
        return cast("S | None", self._on.get(kind))

    def put(self, setting: Setting) -> None:
        """Turn ``setting`` on (replacing one of its kind); tell its kind's watchers."""
        self._on[type(setting)] = setting
        self._notify(type(setting))

    def remove(self, kind: type[Setting]) -> None:
        """Turn the setting of this kind off; tell its watchers."""
        if self._on.pop(kind, None) is not None:
            self._notify(kind)

    def watch(self, kind: type[Setting], watcher: Watcher) -> None:
        """Call ``watcher()`` whenever the setting of ``kind`` changes (e.g. a rate)."""
        self._watchers.setdefault(kind, []).append(watcher)

    def _notify(self, kind: type[Setting]) -> None:
        for watcher in self._watchers.get(kind, ()):
            watcher()

    @property
    def slowdown(self) -> float:
        """Service-time multiplier for jobs starting now (1.0: normal)."""
        slow = self.get(Slowdown)
        return slow.factor if slow is not None else 1.0

    @property
    def status(self) -> Literal["online", "offline", "maintenance"]:
        """What the backend says it is (a stall is invisible: that is the point)."""
        if Outage in self._on:
            return "offline"
        if self.maintenance:
            return "maintenance"
        return "online"

    @property
    def dispatching(self) -> bool:
        """Whether queued jobs may start."""
        return not (Outage in self._on or self.maintenance or Stall in self._on)

    @property
    def rejecting_jobs(self) -> bool:
        """Whether new submissions are refused (outage, or maintenance in reject mode)."""
        return Outage in self._on or "reject" in self.maintenance.values()

    @property
    def http_faults(self) -> bool:
        """Whether any fault acts at the HTTP level (else requests take the fast path)."""
        return ApiErrors in self._on or RateLimit in self._on or self.rejecting_jobs

    def active(self) -> list[str]:
        """Names of the faults that are on (for /metrics)."""
        on = [kind.name for kind in self._on]
        if self.token_endpoint_status is not None:
            on.append("token_endpoint_status")
        if self.maintenance:
            on.append("maintenance")
        return on
