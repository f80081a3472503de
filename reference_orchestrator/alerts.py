"""Alerting: a windowed failure ratio with hysteresis, alerts held down against flapping,
and the sender that delivers them to a webhook (optionally until it answers)."""

from __future__ import annotations

import asyncio
import collections
import logging
from typing import Any

import aiohttp

from plumbing.clock import Clock
from reference_orchestrator.config import AlertRule

__all__ = [
    "CREDENTIAL",
    "NOT_SCRAPED",
    "STUCK",
    "UNREACHABLE",
    "AlertSender",
    "FailureRateMonitor",
    "Held",
]

UNREACHABLE = "OrchestratorBackendUnreachable"
CREDENTIAL = "OrchestratorCredentialRejected"
NOT_SCRAPED = "OrchestratorNotScraped"
STUCK = "OrchestratorJobsStuck"

log = logging.getLogger(__name__)


class FailureRateMonitor:
    """Counts call outcomes in a sliding window and says when to fire or resolve.

    >>> m = FailureRateMonitor(AlertRule(threshold=0.5, window=60, min_events=2), clock)
    >>> m.record(False); m.record(False)               # doctest: +SKIP
    >>> m.evaluate()                                    # doctest: +SKIP
    'firing'
    """

    def __init__(self, rule: AlertRule, clock: Clock) -> None:
        self.rule = rule
        self._clock = clock
        self._events: collections.deque[tuple[float, bool]] = collections.deque()
        self.firing = False

    def record(self, ok: bool) -> None:
        """Record one backend call (or job) outcome."""
        self._events.append((self._clock.now(), ok))

    def ratio(self) -> tuple[float, int]:
        """(failure ratio, events) over the window ending now."""
        horizon = self._clock.now() - self.rule.window
        while self._events and self._events[0][0] < horizon:
            self._events.popleft()
        total = len(self._events)
        bad = sum(1 for _, ok in self._events if not ok)
        return (bad / total if total else 0.0), total

    def evaluate(self) -> str | None:
        """Return ``"firing"`` or ``"resolved"`` on a state change, else None."""
        ratio, total = self.ratio()
        if not self.firing and total >= self.rule.min_events and ratio >= self.rule.threshold:
            self.firing = True
            return "firing"
        if self.firing and ratio < self.rule.threshold / 2:
            self.firing = False
            return "resolved"
        return None


class Held:
    """An alert that stays firing until its condition has been clear for ``keep`` seconds
    (Prometheus' ``keep_firing_for``): a condition that flaps makes one page, not many.

    >>> h = Held(keep=60.0)
    >>> h.update(True, 0.0), h.update(False, 10.0), h.update(True, 30.0)
    ('firing', None, None)
    >>> h.update(False, 40.0), h.update(False, 100.0)
    (None, 'resolved')
    """

    def __init__(self, keep: float) -> None:
        self.keep = keep
        self.firing = False
        self._clear_since: float | None = None

    def update(self, active: bool, now: float) -> str | None:
        """``"firing"`` or ``"resolved"`` when the page changes, else None."""
        if active:
            self._clear_since = None
            if self.firing:
                return None
            self.firing = True
            return "firing"
        if not self.firing:
            return None
        if self._clear_since is None:
            self._clear_since = now
        if now - self._clear_since < self.keep:
            return None
        self.firing, self._clear_since = False, None
        return "resolved"


class AlertSender:
    """POSTs Alertmanager-style notifications (and events) to the harness webhook.

    Notifications go into an outbox that :meth:`deliver` (a background task) empties in
    order; one the webhook does not take (no answer, a 5xx) is retried when
    ``retry_delivery`` is on, else logged and dropped. Queuing keeps a slow or
    partitioned webhook from stalling the alert evaluation that feeds it.
    """

    def __init__(self, http: aiohttp.ClientSession, rule: AlertRule, clock: Clock) -> None:
        self._http = http
        self._rule = rule
        self._clock = clock
        self.sent: list[dict[str, Any]] = []  # every notification meant for the webhook
        self.delivered = 0
        self.dropped = 0
        self._outbox: collections.deque[tuple[str, dict[str, Any]]] = collections.deque()
        self._ready = asyncio.Event()

    async def event(self, url: str | None, kind: str, name: str, summary: str) -> None:
        """Report an event (e.g. a mitigation) to the harness's ``/events`` endpoint."""
        if url is None:
            return
        body = {"kind": kind, "name": name, "source": "reference-orchestrator", "summary": summary}
        self._queue(url, body)

    async def send(self, status: str, ratio: float, events: int) -> None:
        summary = f"backend failure ratio {ratio:.0%} over {self._rule.window:g}s ({events} calls)"
        await self._post(_payload(status, self._rule.name, summary, ratio))

    async def backend_unreachable(self, status: str, backend: str) -> None:
        """Page (or resolve) when a backend's circuit breaker opens (or closes again)."""
        summary = f"backend {backend} is not answering; its jobs wait, new ones fail over"
        payload = _payload(status, UNREACHABLE, summary, 1.0 if status == "firing" else 0.0)
        payload["labels"]["backend"] = backend
        await self._post(payload)

    async def credential_rejected(self, status: str, backend: str, summary: str) -> None:
        """Page (or resolve) when a backend refuses the API key itself: only a rotation
        helps, and this alert's name is what the rotation runbook is keyed on."""
        payload = _payload(status, CREDENTIAL, summary, 1.0 if status == "firing" else 0.0)
        payload["labels"]["backend"] = backend
        await self._post(payload)

    async def not_scraped(self, status: str, silent_for: float) -> None:
        """Page (or resolve) when nobody has scraped the orchestrator's metrics for a
        while: its monitoring is blind, whatever else goes wrong meanwhile."""
        summary = f"/metrics not scraped for {silent_for:.0f}s: monitoring cannot see us"
        await self._post(_payload(status, NOT_SCRAPED, summary, silent_for))

    async def jobs_stuck(self, status: str, after: float) -> None:
        """Page (or resolve) while jobs sit at a backend past ``stuck_after``."""
        summary = f"jobs QUEUED or RUNNING at a backend for over {after:.0f}s"
        await self._post(_payload(status, STUCK, summary, 1.0 if status == "firing" else 0.0))

    async def _post(self, payload: dict[str, Any]) -> None:
        if payload["status"] == "resolved" and not self._rule.send_resolved:
            return
        self.sent.append(payload)
        if self._rule.webhook_url is not None:
            self._queue(self._rule.webhook_url, payload)

    def _queue(self, url: str, body: dict[str, Any]) -> None:
        self._outbox.append((url, body))
        self._ready.set()

    async def deliver(self) -> None:
        """Empty the outbox for ever (run as a background task)."""
        wall = max(1.0, self._clock.to_wall(10.0))  # scenario seconds, with a wall floor
        while True:
            await self._ready.wait()
            while self._outbox:
                url, body = self._outbox[0]
                if await self._try(url, body, wall) or not self._rule.retry_delivery:
                    self._outbox.popleft()
                    continue
                await self._clock.sleep(self._rule.evaluate_every)  # then try it again
            self._ready.clear()

    async def _try(self, url: str, body: dict[str, Any], wall: float) -> bool:
        """Post once (``wall`` seconds at most); True when the webhook took it (or refused
        it for good: a 4xx)."""
        try:
            async with asyncio.timeout(wall), self._http.post(url, json=body) as resp:
                if resp.status < 300:
                    self.delivered += 1
                    return True
                log.warning("alert webhook answered %s", resp.status)
                if resp.status < 500:
                    self.dropped += 1
                    return True  # refused: sending it again will not change that
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("alert webhook unreachable: %s", exc)
        if not self._rule.retry_delivery:
            self.dropped += 1
        return False


def _payload(status: str, name: str, summary: str, value: float) -> dict[str, Any]:
    return {
        "status": status,
        "alertname": name,
        "source": "reference-orchestrator",
        "labels": {"alertname": name, "severity": "page"},
        "annotations": {"summary": summary},
        "value": value,
    }
