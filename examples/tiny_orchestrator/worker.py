"""Moves runs to the backend and back, and pages when backend calls keep failing.

One thread, one loop every TICK_S of our own clock: submit pending runs (with the client's
request id as the backend's idempotency key, so a retry never runs twice), poll the
submitted ones, fetch results. Plain time.sleep: under libfaketime it shrinks with the
game day's time scale, with no code for it here.
"""

import collections
import json
import logging
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from tiny_orchestrator.backend import CallFailed

TICK_S = 2.0
ALERT_WINDOW_S = 60.0
ALERT_RATIO = 0.5
ALERT_MIN_CALLS = 3
PARALLEL = 8

log = logging.getLogger("tiny.worker")


class Pager:
    """Fires (and resolves) one alert on the backend call failure ratio over a window."""

    def __init__(self, webhook_url, events_url):
        self.webhook_url = webhook_url
        self.events_url = events_url
        self.calls = collections.deque()  # (time, ok)
        self.firing = False

    def record(self, ok):
        self.calls.append((time.monotonic(), ok))

    def evaluate(self):
        horizon = time.monotonic() - ALERT_WINDOW_S
        while self.calls and self.calls[0][0] < horizon:
            self.calls.popleft()
        total = len(self.calls)
        ratio = sum(1 for _, ok in self.calls if not ok) / total if total else 0.0
        if not self.firing and total >= ALERT_MIN_CALLS and ratio >= ALERT_RATIO:
            self.firing = True
            self._alert("firing", f"{ratio:.0%} of {total} backend calls failed")
        elif self.firing and ratio < ALERT_RATIO / 2:
            self.firing = False
            self._alert("resolved", f"backend calls recovered ({ratio:.0%} failing)")

    def _alert(self, status, summary):
        body = {"alerts": [{
            "status": status,
            "labels": {"alertname": "TinyBackendFailing", "severity": "page"},
            "annotations": {"summary": summary},
        }]}  # fmt: skip
        self._post(self.webhook_url, body)

    def mitigated(self, name, summary):
        self._post(
            self.events_url,
            {"kind": "mitigation", "name": name, "summary": summary, "source": "tiny-orchestrator"},
        )

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
    def __init__(self, store, backend, pager):
        self.store = store
        self.backend = backend
        self.pager = pager
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="tiny-call")

    def run_forever(self):
        while True:
            list(self.pool.map(self._submit, self.store.with_status("PENDING")))
            list(self.pool.map(self._poll, self.store.with_status("SUBMITTED")))
            if self.backend.recovered:
                self.backend.recovered = False
                self.pager.mitigated("token-refreshed", "got a new token after failures")
            self.pager.evaluate()
            time.sleep(TICK_S)

    def _submit(self, run):
        body = {"circuit": run["program"], "format": "qasm3", "shots": run["shots"],
                "idempotency_key": run["request_id"]}  # fmt: skip
        try:
            job = self.backend.call("POST", "/v1/jobs", body)
        except CallFailed as exc:
            self.pager.record(False)
            if exc.status in (400, 413):  # the backend will never take it
                self.store.update(run["id"], status="ERROR", message=str(exc))
            return  # anything else: still PENDING, tried again next tick
        self.pager.record(True)
        self.store.update(run["id"], status="SUBMITTED", backend_job=job["id"])

    def _poll(self, run):
        job_id = run["backend_job"]
        try:
            job = self.backend.call("GET", f"/v1/jobs/{job_id}")
            if job["status"] == "DONE":
                result = self.backend.call("GET", f"/v1/jobs/{job_id}/result")
                self.store.update(run["id"], status="DONE", counts=result["counts"])
            elif job["status"] in ("ERROR", "CANCELLED"):
                self.store.update(run["id"], status="ERROR", message=job.get("error"))
        except CallFailed:
            self.pager.record(False)
            return
        self.pager.record(True)
