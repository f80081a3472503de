"""Failure-rate alerting: a windowed ratio with hysteresis, and its webhook sender."""

from __future__ import annotations

import collections
import logging
from typing import Any

import aiohttp

from plumbing.clock import Clock
from reference_orchestrator.config import AlertRule

__all__ = ["CREDENTIAL", "UNREACHABLE", "AlertSender", "FailureRateMonitor"]

UNREACHABLE = "OrchestratorBackendUnreachable"
CREDENTIAL = "OrchestratorCredentialRejected"

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


class AlertSender:
    """POSTs Alertmanager-style notifications to a webhook; failures are logged, not raised."""

    def __init__(self, http: aiohttp.ClientSession, rule: AlertRule, clock: Clock) -> None:
        self._http = http
        self._rule = rule
        self._clock = clock
        self.sent: list[dict[str, Any]] = []

    async def event(self, url: str | None, kind: str, name: str, summary: str) -> None:
        """Report an event (e.g. a mitigation) to the harness's ``/events`` endpoint."""
        if url is None:
            return
        body = {"kind": kind, "name": name, "source": "reference-orchestrator", "summary": summary}
        try:
            async with self._http.post(url, json=body, timeout=aiohttp.ClientTimeout(total=5)):
                pass
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("event webhook unreachable: %s", exc)

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

    async def _post(self, payload: dict[str, Any]) -> None:
        self.sent.append(payload)
        if self._rule.webhook_url is None:
            return
        try:
            async with self._http.post(
                self._rule.webhook_url, json=payload, timeout=aiohttp.ClientTimeout(total=5)
            ) as resp:
                if resp.status >= 300:
                    log.warning("alert webhook answered %s", resp.status)
        except (aiohttp.ClientError, TimeoutError) as exc:
            log.warning("alert webhook unreachable: %s", exc)


def _payload(status: str, name: str, summary: str, value: float) -> dict[str, Any]:
    return {
        "status": status,
        "alertname": name,
        "source": "reference-orchestrator",
        "labels": {"alertname": name, "severity": "page"},
        "annotations": {"summary": summary},
        "value": value,
    }
