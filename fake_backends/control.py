"""In-process fault hooks of one fake cloud: the one place faults act on a backend.

The harness's faults call these methods; the queue and every protocol's API read the
resulting :class:`~fake_backends.switches.Switches`, and HTTP-level decisions (outage,
maintenance, injected 5xx, rate limits) are made here by :meth:`BackendControl.admit`
and :meth:`BackendControl.lose_answer`, so a fault means the same thing whatever
protocol a client speaks. Never exposed over HTTP.

Most faults are a :class:`~fake_backends.switches.Setting` turned on by :meth:`set` and
off by :meth:`clear`. The rest have a method of their own because they are not one
value held until reverted: actions done once (revoke tokens, evict, recalibrate),
states several holders share under their own keys (maintenance windows, calibration
effects), the token endpoint and stale properties (kept with the auth and calibration
state they act on). Every change is idempotent (setting a value it already has does
nothing) and journalled on the backend side (``backend.switch``, ...), so the report
shows what the backend really did.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from typing import Any, Literal

from fake_backends import records
from fake_backends.auth import TokenStore
from fake_backends.calibration import Factors
from fake_backends.drift import CalibrationState, Ramp
from fake_backends.queue import JobQueue
from fake_backends.ratelimit import TokenBuckets
from fake_backends.switches import ApiErrors, RateLimit, Setting, Switches
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
        self._buckets: tuple[RateLimit, TokenBuckets] | None = None
        self._queue: JobQueue | None = None

    def attach(self, queue: JobQueue) -> None:
        """Connect the queue: it re-checks dispatch at once when a switch changes."""
        self._queue = queue

    # -- settings --------------------------------------------------------------

    def set(self, setting: Setting) -> None:
        """Turn a fault setting on, or change it (one of a kind at a time)."""
        if self.switches.get(type(setting)) == setting:
            return
        self.switches.put(setting)
        self._changed(setting.switch(), setting.journal())

    def clear(self, kind: type[Setting]) -> None:
        """Turn the setting of ``kind`` off (nothing happens if it is not on)."""
        if self.switches.get(kind) is None:
            return
        self.switches.remove(kind)
        self._changed(kind.switch(), kind.cleared)

    # -- auth ------------------------------------------------------------------

    @property
    def token_endpoint_status(self) -> int | None:
        """HTTP status the token endpoint answers with while it is failing, else None."""
        return self.switches.token_endpoint_status

    def revoke_tokens(self) -> int:
        """Revoke every live access token (clients get 401 ``token_revoked``)."""
        n = self._tokens.revoke_all()
        self._emit(records.TOKENS_REVOKED({"backend": self.backend, "count": n}))
        return n

    def revoke_api_key(self, api_key: str, replacement: str | None = None) -> int:
        """Revoke ``api_key`` and its live tokens; accept ``replacement`` for the same
        tenant instead (the provider-side half of a rotation). Returns tokens revoked."""
        tenant = self._tokens.tenant_of_key(api_key)
        n = self._tokens.revoke_key(api_key)
        if replacement is not None and tenant is not None:
            self._tokens.add_key(replacement, tenant)
        self._emit(
            records.KEY_REVOKED(
                {"backend": self.backend, "tokens": n, "replacement": replacement is not None}
            )
        )
        return n

    def fail_token_endpoint(self, status: int = 503) -> None:
        """Make the token endpoint answer ``status`` until restored."""
        if self.switches.token_endpoint_status != status:
            self.switches.token_endpoint_status = status
            self._emit(records.TOKEN_ENDPOINT({"backend": self.backend, "status": status}))

    def restore_token_endpoint(self) -> None:
        """Let the token endpoint issue tokens again."""
        if self.switches.token_endpoint_status is not None:
            self.switches.token_endpoint_status = None
            self._emit(records.TOKEN_ENDPOINT({"backend": self.backend, "status": 200}))

    # -- device and queue ------------------------------------------------------

    def set_maintenance(self, key: str, mode: Literal["reject", "hold"] | None) -> None:
        """Maintenance window ``key`` on (new jobs rejected or held) or off."""
        windows = dict(self.switches.maintenance)
        if mode is None:
            windows.pop(key, None)
        else:
            windows[key] = mode
        if windows != self.switches.maintenance:
            self.switches.maintenance = windows
            self._changed("maintenance", windows)

    def evict(self, fraction: float, reason: str) -> int:
        """The provider cancels ``fraction`` of the queued client jobs with ``reason``."""
        if self._queue is None:
            return 0
        evicted = self._queue.evict(fraction, reason)
        self._emit(
            records.JOBS_EVICTED(
                {
                    "backend": self.backend,
                    "reason": reason,
                    "jobs": [j.id for j in evicted],
                    "idempotency_keys": [j.idempotency_key for j in evicted],
                }
            )
        )
        return len(evicted)

    # -- HTTP ------------------------------------------------------------------

    def client_of(self, authorization: str | None) -> str:
        """Who a request counts against for rate limits: its tenant, else its credential.

        A JWT bearer (the IBM protocol's) carries the access token as its last segment;
        ``apiKey <key>`` (the IonQ protocol's) the API key itself.
        """
        scheme, _, value = (authorization or "").partition(" ")
        token = value.strip().rsplit(".", 1)[-1]
        match scheme.lower():
            case "bearer":
                tenant = self._tokens.tenant_of(token)
            case "apikey":
                tenant = self._tokens.tenant_of_key(value.strip())
            case _:
                tenant = None
        return tenant or f"anonymous:{authorization or ''}"

    def admit(self, endpoint: str, client: str) -> Refusal | None:
        """Whether a request to ``endpoint`` from ``client`` is refused before it runs."""
        sw = self.switches
        if (limit := sw.get(RateLimit)) is not None:
            wait = self._bucket_for(limit).take(client)
            if wait > 0:
                self._emit(records.RATE_LIMITED({"backend": self.backend, "endpoint": endpoint}))
                return Refusal(429, "rate_limited", "request rate limit exceeded", wait)
        if endpoint == "submit" and sw.rejecting_jobs:
            if sw.status == "offline":
                return Refusal(503, "backend_offline", f"backend {self.backend} is offline")
            return Refusal(
                503, "backend_maintenance", f"backend {self.backend} is in maintenance", 60.0
            )
        errors = sw.get(ApiErrors)
        if errors is not None and not errors.after:
            return self._injected_error(errors, endpoint)
        return None

    def _bucket_for(self, limit: RateLimit) -> TokenBuckets:
        # fresh buckets for every new limit: a changed limit starts everyone full
        if self._buckets is None or self._buckets[0] is not limit:
            self._buckets = (limit, TokenBuckets(self._clock, rate=limit.rate, burst=limit.burst))
        return self._buckets[1]

    def lose_answer(self, endpoint: str) -> Refusal | None:
        """Whether the answer to a request that did run is replaced by a 5xx."""
        errors = self.switches.get(ApiErrors)
        if errors is not None and errors.after:
            return self._injected_error(errors, endpoint)
        return None

    def _injected_error(self, errors: ApiErrors, endpoint: str) -> Refusal | None:
        if not errors.applies(endpoint) or self._rng.random() >= errors.rate:
            return None
        status = self._rng.choice(errors.statuses)
        self._emit(
            records.API_ERROR({"backend": self.backend, "endpoint": endpoint, "status": status})
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
        effect = records.CalibrationEffect(
            backend=self.backend,
            effect=key,
            active=True,
            target=dataclasses.asdict(target),
            start=ramp_effect.start,
            ramp=ramp,
            qubits=list(qubits) if qubits is not None else None,
        )
        self._emit(records.CALIBRATION_EFFECT(effect))

    def remove_drift(self, key: str) -> None:
        if self.calibration.remove(key):
            self._emit(
                records.CALIBRATION_EFFECT(
                    {"backend": self.backend, "effect": key, "active": False}
                )
            )

    def set_stale(self, on: bool) -> None:
        """Served properties stop (or resume) updating; the true noise goes on changing."""
        if self.calibration.stale != on:
            self.calibration.set_stale(on)
            self._changed("stale", on)

    def recalibrate(self, jitter: float = 0.0) -> int:
        """Recalibrate now: effects dropped, fresh numbers, version bumped; returns it."""
        version = self.calibration.recalibrate(jitter).version
        self._emit(records.RECALIBRATED({"backend": self.backend, "version": version}))
        return version

    # -- internals -------------------------------------------------------------

    def _changed(self, switch: str, value: Any) -> None:
        self._emit(records.SWITCH({"backend": self.backend, "switch": switch, "value": value}))
        if self._queue is not None:
            self._queue.poke()
