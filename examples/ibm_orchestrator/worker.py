"""Moves experiments to IBM Quantum and back, and pages when calls keep failing.

One thread, one loop every TICK_S of our own clock: connect (again) when we have no
service, submit queued experiments, poll submitted ones, fetch results. Plain
time.sleep: under libfaketime it shrinks with the game day's time scale.
"""

import collections
import json
import logging
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from ibm_orchestrator.runtime import RuntimeFailed

TICK_S = 2.0
DOWN_ALERT_S = 30.0  # no service for this long pages too (few calls are made meanwhile)
ALERT_WINDOW_S = 60.0
ALERT_RATIO = 0.5
ALERT_MIN_CALLS = 3
PARALLEL = 4
RETRY_CODES = ("3458",)  # a 400 that means "later": the instance's pending-jobs limit

log = logging.getLogger("ibm.worker")


class Pager:
    """Fires (and resolves) one alert: on the IBM call failure ratio over a window, or
    when there has been no service (no token) for DOWN_ALERT_S."""

    def __init__(self, webhook_url, events_url):
        self.webhook_url = webhook_url
        self.events_url = events_url
        self.calls = collections.deque()  # (time, ok)
        self.firing = False

    def record(self, ok):
        self.calls.append((time.monotonic(), ok))

    def evaluate(self, down_for=0.0):
        horizon = time.monotonic() - ALERT_WINDOW_S
        while self.calls and self.calls[0][0] < horizon:
            self.calls.popleft()
        total = len(self.calls)
        ratio = sum(1 for _, ok in self.calls if not ok) / total if total else 0.0
        failing = total >= ALERT_MIN_CALLS and ratio >= ALERT_RATIO
        if not self.firing and (failing or down_for >= DOWN_ALERT_S):
            self.firing = True
            why = f"no IBM Quantum service for {down_for:.0f} s" if down_for else ""
            self._alert("firing", why or f"{ratio:.0%} of {total} IBM Quantum calls failed")
        elif self.firing and not down_for and ratio < ALERT_RATIO / 2:
            self.firing = False
            self._alert("resolved", f"IBM Quantum calls recovered ({ratio:.0%} failing)")

    def _alert(self, status, summary):
        body = {"alerts": [{
            "status": status,
            "labels": {"alertname": "IbmQuantumFailing", "severity": "page"},
            "annotations": {"summary": summary},
        }]}  # fmt: skip
        self._post(self.webhook_url, body)

    def mitigated(self, name, summary):
        body = {
            "kind": "mitigation",
            "name": name,
            "summary": summary,
            "source": "ibm-orchestrator",
        }
        self._post(self.events_url, body)

    @staticmethod
    def _post(url, body):
        if not url:
            return
        req = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST")
        req.add_header("Content-Type", "application/json")
        try:
            urllib.request.urlopen(req, timeout=10).close()
        except OSError as exc:
            log.warning("webhook %s: %s", url.split("?")[0], exc)


class Worker:
    def __init__(self, store, runtime, pager):
        self.store = store
        self.runtime = runtime
        self.pager = pager
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="ibm-call")
        self.ever_connected = False
        self.down_since = None  # when the service was lost (a refused token)

    def run_forever(self):
        while True:
            if not self.runtime.connected:
                self._connect()
            if self.runtime.connected:
                list(self.pool.map(self._submit, self.store.in_state("queued")))
                list(self.pool.map(self._poll, self.store.in_state("submitted")))
            if self.runtime.connected or not self.ever_connected:
                self.down_since = None
            elif self.down_since is None:
                self.down_since = time.monotonic()
            down_for = time.monotonic() - self.down_since if self.down_since else 0.0
            self.pager.evaluate(down_for)
            time.sleep(TICK_S)

    def _connect(self):
        try:
            self.runtime.connect()
        except RuntimeFailed as exc:
            self.pager.record(False)
            log.warning("cannot connect: %s", exc)
            return
        self.pager.record(True)
        if self.ever_connected:
            self.pager.mitigated("ibm-reconnected", "new service and token after a refused one")
        self.ever_connected = True

    def _submit(self, item):
        tag = "ref:" + item["ref"]
        try:
            if item["attempts"]:  # an earlier submit failed: it may have created the job
                found = self.runtime.find(tag)
                if found is not None:
                    self.pager.record(True)
                    self.store.update(item["id"], state="submitted", job=found)
                    return
            self.store.update(item["id"], attempts=item["attempts"] + 1)
            job_id = self.runtime.submit(item["source"], item["shots"], tag)
        except RuntimeFailed as exc:
            self.pager.record(False)
            if exc.status in (400, 413) and not any(c in str(exc) for c in RETRY_CODES):
                self.store.update(item["id"], state="failed", error=str(exc))
            return  # anything else: still queued, tried again next tick
        except Exception as exc:  # the circuit itself: parse or transpile error
            self.store.update(item["id"], state="failed", error=f"bad circuit: {exc}"[:500])
            return
        self.pager.record(True)
        self.store.update(item["id"], state="submitted", job=job_id)

    def _poll(self, item):
        job_id = item["job"]
        try:
            status = self.runtime.status(job_id)
            if status == "DONE":
                counts = self.runtime.counts(job_id)
                self.store.update(item["id"], state="completed", counts=counts)
            elif status in ("ERROR", "CANCELLED"):
                error = self.runtime.error(job_id) or status.lower()
                self.store.update(item["id"], state="failed", error=error)
        except RuntimeFailed:
            self.pager.record(False)
            return
        self.pager.record(True)
