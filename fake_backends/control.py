"""In-process fault hooks of one fake cloud: the one place faults act on a backend.

The harness's faults call these methods; the queue and every protocol's API read the
resulting :class:`~fake_backends.switches.Switches`, and HTTP-level decisions (outage,
maintenance, injected 5xx, rate limits) are made here by :meth:`BackendControl.admit`
and :meth:`BackendControl.lose_answer`, so a fault means the same thing whatever
protocol a client speaks. Never exposed over HTTP. Every switch is idempotent (setting
a value it already has does nothing) and every change is journalled on the backend
side as a ``backend.switch`` event, so the report shows what the backend really did.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Literal

from fake_backends.auth import TokenStore
from fake_backends.background import BackgroundLoad
from fake_backends.calibration import Factors
from fake_backends.drift import CalibrationState, Ramp
from fake_backends.queue import JobQueue
from fake_backends.ratelimit import TokenBuckets
from fake_backends.switches import (
    ApiErrors,
    CorruptResults,
    JobFailures,
    PartialResults,
    RateLimit,
    SchemaChange,
    Switches,
)
from plumbing.clock import Clock
from plumbing.records import EventSink

__all__ = ["BackendControl", "Refusal"]


@dataclass(frozen=True, slots=True)
class Refusal:
    """An HTTP answer a fault imposes instead of the real one."""

    status: int
    code: str
    message: str
    retry_after: float | None = None  # scenario seconds


class BackendControl:
    """Fault switches for one fake cloud (see ``fake_backends.cloud.FakeCloud.control``)."""

    def __init__(
        self,
        backend: str,
        tokens: TokenStore,
        on_event: EventSink,
        *,
        clock: Clock,
        switches: Switches,
        calibration: CalibrationState,
        seed: int = 0,
    ) -> None:
        self.backend = backend
        self.switches = switches
        self.calibration = calibration
        self._tokens = tokens
        self._emit = on_event
        self._clock = clock
        self._rng = random.Random(seed ^ 0x5EED)
        self._buckets: TokenBuckets | None = None
        self._queue: JobQueue | None = None
        self._background: BackgroundLoad | None = None

    def attach(self, queue: JobQueue, background: BackgroundLoad) -> None:
        """Connect the parts that must react at once when a switch changes."""
        self._queue = queue
        self._background = background

    # -- auth ------------------------------------------------------------------

    @property
    def token_endpoint_status(self) -> int | None:
        """HTTP status the token endpoint answers with while it is failing, else None."""
        return self.switches.token_endpoint_status

    def revoke_tokens(self) -> int:
        """Revoke every live access token (clients get 401 ``token_revoked``)."""
        n = self._tokens.revoke_all()
        self._emit("backend.tokens_revoked", {"backend": self.backend, "count": n})
        return n

    def fail_token_endpoint(self, status: int = 503) -> None:
        """Make the token endpoint answer ``status`` until restored."""
        if self.switches.token_endpoint_status != status:
            self.switches.token_endpoint_status = status
            self._emit("backend.token_endpoint", {"backend": self.backend, "status": status})

    def restore_token_endpoint(self) -> None:
        """Let the token endpoint issue tokens again."""
        if self.switches.token_endpoint_status is not None:
            self.switches.token_endpoint_status = None
            self._emit("backend.token_endpoint", {"backend": self.backend, "status": 200})

    # -- device and queue ------------------------------------------------------

    def set_outage(self, on: bool) -> None:
        """Offline: status ``offline``, submissions 503, nothing starts."""
        self._set("offline", on)

    def set_maintenance(self, key: str, mode: Literal["reject", "hold"] | None) -> None:
        """Maintenance window ``key`` on (new jobs rejected or held) or off."""
        windows = dict(self.switches.maintenance)
        if mode is None:
            windows.pop(key, None)
        else:
            windows[key] = mode
        self._set("maintenance", windows)

    def set_stall(self, on: bool) -> None:
        """The scheduler stops dispatching (status still says online)."""
        self._set("stalled", on)

    def set_slowdown(self, factor: float) -> None:
        """Service time x ``factor`` for jobs starting from now (1.0 = normal)."""
        if factor <= 0:
            raise ValueError(f"slowdown factor must be > 0, got {factor}")
        self._set("slowdown", factor)

    def set_saturation(self, rate: float, shots: int | None = None) -> None:
        """Add ``rate`` background jobs per scenario second (0 = back to the base load)."""
        self._set("extra_background_shots", shots if rate > 0 else None)
        if self._set("extra_background_rate", max(0.0, rate)) and self._background is not None:
            self._background.changed()

    def set_queue_limit(self, depth: int | None) -> None:
        """Accept at most ``depth`` queued jobs (429 + Retry-After past it); None: normal."""
        self._set("queue_limit", depth)

    def evict(self, fraction: float, reason: str) -> int:
        """The provider cancels ``fraction`` of the queued client jobs with ``reason``."""
        if self._queue is None:
            return 0
        evicted = self._queue.evict(fraction, reason)
        self._emit(
            "backend.jobs_evicted",
            {
                "backend": self.backend,
                "reason": reason,
                "jobs": [j.id for j in evicted],
                "idempotency_keys": [j.idempotency_key for j in evicted],
            },
        )
        return len(evicted)

    # -- API and results -------------------------------------------------------

    def set_api_errors(self, value: ApiErrors | None) -> None:
        self._set("api_errors", value)

    def set_rate_limit(self, value: RateLimit | None) -> None:
        if self._set("rate_limit", value):
            self._buckets = (
                None
                if value is None
                else TokenBuckets(self._clock, rate=value.rate, burst=value.burst)
            )

    def set_job_failures(self, value: JobFailures | None) -> None:
        self._set("job_failures", value)

    def set_partial_results(self, value: PartialResults | None) -> None:
        self._set("partial_results", value)

    def set_corrupt_results(self, value: CorruptResults | None) -> None:
        self._set("corrupt_results", value)

    def set_schema_change(self, value: SchemaChange | None) -> None:
        self._set("schema_change", value)

    def client_of(self, authorization: str | None) -> str:
        """Who a request counts against for rate limits: its tenant, else its credential."""
        scheme, _, value = (authorization or "").partition(" ")
        tenant = self._tokens.tenant_of(value.strip()) if scheme.lower() == "bearer" else None
        return tenant or f"anonymous:{authorization or ''}"

    def admit(self, endpoint: str, client: str) -> Refusal | None:
        """Whether a request to ``endpoint`` from ``client`` is refused before it runs."""
        sw = self.switches
        if sw.rate_limit is not None and self._buckets is not None:
            wait = self._buckets.take(client)
            if wait > 0:
                self._emit("backend.rate_limited", {"backend": self.backend, "endpoint": endpoint})
                return Refusal(429, "rate_limited", "request rate limit exceeded", wait)
        if endpoint == "submit" and sw.rejecting_jobs:
            if sw.offline:
                return Refusal(503, "backend_offline", f"backend {self.backend} is offline")
            return Refusal(
                503, "backend_maintenance", f"backend {self.backend} is in maintenance", 60.0
            )
        if sw.api_errors is not None and not sw.api_errors.after:
            return self._injected_error(endpoint)
        return None

    def lose_answer(self, endpoint: str) -> Refusal | None:
        """Whether the answer to a request that did run is replaced by a 5xx."""
        errors = self.switches.api_errors
        if errors is not None and errors.after:
            return self._injected_error(endpoint)
        return None

    def _injected_error(self, endpoint: str) -> Refusal | None:
        errors = self.switches.api_errors
        if errors is None or not errors.applies(endpoint) or self._rng.random() >= errors.rate:
            return None
        status = self._rng.choice(errors.statuses)
        self._emit(
            "backend.api_error", {"backend": self.backend, "endpoint": endpoint, "status": status}
        )
        return Refusal(status, "injected_error", "upstream error (injected)")

    # -- calibration -----------------------------------------------------------

    def add_drift(
        self, key: str, target: Factors, *, ramp: float = 0.0, qubits: tuple[int, ...] | None = None
    ) -> None:
        """Start a calibration effect now: multipliers reached over ``ramp`` scenario seconds.

        It is applied from the next calibration step (at most one new version per step).
        """
        ramp_effect = Ramp(target, start=self._clock.now(), ramp=ramp, qubits=qubits)
        self.calibration.add(key, ramp_effect)
        self._emit(
            "backend.calibration_effect",
            {"backend": self.backend, "effect": key, "active": True, **_plain(ramp_effect)},
        )

    def remove_drift(self, key: str) -> None:
        if self.calibration.remove(key):
            self._emit(
                "backend.calibration_effect",
                {"backend": self.backend, "effect": key, "active": False},
            )

    def set_stale(self, on: bool) -> None:
        """Served properties stop (or resume) updating; the true noise goes on changing."""
        if self.calibration.stale != on:
            self.calibration.set_stale(on)
            self._emit("backend.switch", {"backend": self.backend, "switch": "stale", "value": on})

    def recalibrate(self, jitter: float = 0.0) -> int:
        """Recalibrate now: effects dropped, fresh numbers, version bumped; returns it."""
        version = self.calibration.recalibrate(jitter).version
        self._emit("backend.recalibrated", {"backend": self.backend, "version": version})
        return version

    # -- internals -------------------------------------------------------------

    def _set(self, name: str, value: Any) -> bool:
        if getattr(self.switches, name) == value:
            return False
        setattr(self.switches, name, value)
        self._emit(
            "backend.switch", {"backend": self.backend, "switch": name, "value": _plain(value)}
        )
        if self._queue is not None:
            self._queue.poke()
        return True


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return value
