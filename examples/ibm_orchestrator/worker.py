"""Moves experiments to IBM Quantum and back, and pages when calls keep failing.

One thread, one loop every TICK_S of our own clock: connect (again) when we have no
service, submit queued experiments, poll submitted ones, fetch results. Plain
time.sleep: under libfaketime it shrinks with the game day's time scale.

With a fallback provider (IonQ): each tick asks IBM whether its backend takes jobs
(``backend.status().operational``); while it does not (paused for maintenance, offline,
or not answering), new experiments go to the fallback, and back to IBM once it does.
Submitted experiments stay with the provider that has them, whatever happens.

In session mode (``--session``) IBM jobs run in a Session, opened before the first
submit. When IBM closes it (its maximum lifetime reached: the queued jobs in it are
cancelled, later submissions refused), the worker opens a new one, sends the refused
experiments and those whose jobs the close cancelled (they never ran: not a duplicate)
again, reports the new session as a mitigation and raises a ticket (``IbmSessionClosed``)
that resolves once every experiment sent again has finished and no session has closed
for SESSION_QUIET_S.
"""

import collections
import functools
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
# A submit that timed out may still be running on the server (the client gave up after
# its own 30 s; a busy server finishes it later), so it is looked up only after this
# long: looked up at once, it was not there yet, was sent again, and ran twice (seen
# with IonQ, which has no idempotency key, on a loaded machine).
UNANSWERED_SETTLE_S = 120.0
# Sessions closing one after another (a lifetime cut short) are one incident: the ticket
# stays open until none has closed for this long.
SESSION_QUIET_S = 300.0

log = logging.getLogger("ibm.worker")


class Pager:
    """Fires (and resolves) one alert: on the IBM call failure ratio over a window, or
    when there has been no service (no token) for DOWN_ALERT_S."""

    def __init__(self, webhook_url, events_url):
        self.webhook_url = webhook_url
        self.events_url = events_url
        self.calls = collections.deque()  # (time, ok)
        self.firing = False
        self.session_closed_at = None  # when IBM last closed a session of ours
        self.session_firing = False

    def record(self, ok):
        self.calls.append((time.monotonic(), ok))

    def session_closed(self, summary):
        """A session closed under the workload: a ticket (it opens one, not one per close)."""
        self.session_closed_at = time.monotonic()
        if not self.session_firing:
            self.session_firing = True
            self._alert("firing", summary, "IbmSessionClosed", "ticket")

    def evaluate(self, down_for=0.0, resending=0):
        """Fire or resolve the alerts; ``resending``: experiments sent again after their
        session closed and not finished yet."""
        horizon = time.monotonic() - ALERT_WINDOW_S
        while self.calls and self.calls[0][0] < horizon:
            self.calls.popleft()
        total = len(self.calls)
        ratio = sum(1 for _, ok in self.calls if not ok) / total if total else 0.0
        failing = total >= ALERT_MIN_CALLS and ratio >= ALERT_RATIO
        if not self.firing and (failing or down_for >= DOWN_ALERT_S):
            self.firing = True
            why = f"no usable IBM Quantum backend for {down_for:.0f} s" if down_for else ""
            self._alert("firing", why or f"{ratio:.0%} of {total} IBM Quantum calls failed")
        elif self.firing and not down_for and ratio < ALERT_RATIO / 2:
            self.firing = False
            self._alert("resolved", f"IBM Quantum calls recovered ({ratio:.0%} failing)")
        if self.session_firing and not resending:
            quiet_for = time.monotonic() - self.session_closed_at
            if quiet_for >= SESSION_QUIET_S:
                self.session_firing = False
                summary = f"no session closed for {quiet_for:.0f} s; nothing left to resend"
                self._alert("resolved", summary, "IbmSessionClosed", "ticket")

    def _alert(self, status, summary, name="IbmQuantumFailing", severity="page"):
        body = {"alerts": [{
            "status": status,
            "labels": {"alertname": name, "severity": severity},
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
    def __init__(self, store, runtime, pager, fallback=None):
        self.store = store
        self.runtime = runtime  # IBM Quantum: where experiments go while it takes jobs
        self.fallback = fallback  # IonQ, or None
        self.runtimes = {r.provider: r for r in (runtime, fallback) if r is not None}
        self.pager = pager
        self.pool = ThreadPoolExecutor(PARALLEL, thread_name_prefix="ibm-call")
        self.ever_connected = False
        self.down_since = None  # when IBM was lost (a refused token) or stopped taking jobs
        self.failed_over = False
        self.closed_sessions = set()  # ids of the sessions IBM closed under us
        self.last_closed = None  # the session the next one replaces (reported when opened)

    def run_forever(self):
        while True:
            if not self.runtime.connected:
                self._connect()
            if self.fallback is not None and not self.fallback.connected:
                self._connect_fallback()
            usable = self._ibm_usable()
            target = self._target(usable)
            closed = []  # ids of the sessions this tick found closed (by a submit or poll)
            if target is not None:
                queued = self.store.in_state("queued")
                if queued and target.sessions and not self._session_open(target):
                    queued = []  # no session to submit to: next tick
                closed += self.pool.map(functools.partial(self._submit, runtime=target), queued)
            closed += self.pool.map(self._poll, self.store.in_state("submitted"))
            for session_id in dict.fromkeys(c for c in closed if c):
                self._session_lost(session_id, closed.count(session_id))
            if usable or not self.ever_connected:
                self.down_since = None
            elif self.down_since is None:
                self.down_since = time.monotonic()
            down_for = time.monotonic() - self.down_since if self.down_since else 0.0
            resending = [x for x in self.store.in_state("queued", "submitted") if x.get("closed")]
            self.pager.evaluate(down_for, len(resending))
            time.sleep(TICK_S)

    def _ibm_usable(self):
        if not self.runtime.connected:
            return False
        if self.fallback is None:
            return True  # nowhere else to go: submitting is how we find out
        try:
            usable = self.runtime.usable()
        except RuntimeFailed:
            self.pager.record(False)
            return False
        self.pager.record(True)
        return usable

    def _target(self, ibm_usable):
        """Where new experiments go this tick: IBM while it takes jobs, else the fallback."""
        use_fallback = not ibm_usable and self.fallback is not None and self.fallback.connected
        if use_fallback != self.failed_over:
            self.failed_over = use_fallback
            if use_fallback:
                log.warning("IBM backend not taking jobs: new experiments go to IonQ")
                self.pager.mitigated("failover-to-ionq", "new experiments go to IonQ")
            else:
                log.info("IBM backend takes jobs again: new experiments go to IBM")
        if use_fallback:
            return self.fallback
        return self.runtime if self.runtime.connected else None

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

    def _session_open(self, runtime):
        """Whether ``runtime`` has a session open for this tick's submits (opened here)."""
        if runtime.session_id is not None:
            return True
        try:
            session_id = runtime.open_session()
        except RuntimeFailed as exc:
            self.pager.record(False)
            log.warning("cannot open a session: %s", exc)
            return False
        self.pager.record(True)
        if self.last_closed is not None:
            summary = f"session {self.last_closed} closed: new session {session_id}"
            self.pager.mitigated("ibm-session-reopened", summary)
            self.last_closed = None
        return True

    def _session_lost(self, session_id, experiments):
        """IBM closed a session: raise the ticket (once a close) and, when it is the one
        new jobs go to, drop it: the next tick opens another."""
        if session_id in self.closed_sessions:
            return  # already known (a job it cancelled, seen a tick late)
        self.closed_sessions.add(session_id)
        if self.runtime.session_id == session_id:
            self.runtime.session_closed()
            self.last_closed = session_id
        log.warning("session %s closed: %d experiment(s) sent again", session_id, experiments)
        self.pager.session_closed(
            f"IBM session {session_id} closed under the workload: {experiments} experiment(s) "
            "cancelled or refused in it are sent again in a new session"
        )

    def _connect_fallback(self):
        try:
            self.fallback.connect()
        except RuntimeFailed as exc:
            log.warning("cannot connect to the fallback: %s", exc)

    def _submit(self, item, runtime):
        """Submit a queued experiment; the session's id when its session refused it."""
        tag = "ref:" + item["ref"]
        try:
            if item["attempts"]:  # an earlier submit failed: it may have created the job
                if time.time() - (item.get("unanswered_at") or 0) < UNANSWERED_SETTLE_S:
                    return  # its request may not have landed yet
                tried = self.runtimes[item.get("provider") or "ibm"]  # there, not here
                # (not the jobs a closed session cancelled: they keep the tag)
                found = tried.find(tag, skip=item.get("closed") or ())
                if found is not None:
                    self.pager.record(True)
                    self.store.update(item["id"], state="submitted", job=found)
                    return
            self.store.update(item["id"], attempts=item["attempts"] + 1, provider=runtime.provider)
            job_id = runtime.submit(item["source"], item["shots"], tag)
        except RuntimeFailed as exc:
            if exc.session_closed:  # refused, not created: still queued, for a new session
                return runtime.session_id  # (not a failing provider: its own ticket)
            self.pager.record(False)
            if exc.unanswered:
                self.store.update(item["id"], unanswered_at=time.time())
            if exc.status in (400, 413) and not any(c in str(exc) for c in RETRY_CODES):
                self.store.update(item["id"], state="failed", error=str(exc))
            return  # anything else: still queued, tried again next tick
        except Exception as exc:  # the circuit itself: parse or transpile error
            self.store.update(item["id"], state="failed", error=f"bad circuit: {exc}"[:500])
            return
        self.pager.record(True)
        self.store.update(item["id"], state="submitted", job=job_id)

    def _poll(self, item):
        """Poll a submitted experiment; the session's id when its session's closing
        cancelled its job (it is then queued again)."""
        runtime = self.runtimes[item.get("provider") or "ibm"]
        job_id = item["job"]
        closed_by = None
        try:
            status = runtime.status(job_id)
            if status == "CANCELLED" and runtime.sessions:
                closed_by = runtime.closed_by(job_id)
            if status == "DONE":
                counts = runtime.counts(job_id)
                self.store.update(item["id"], state="completed", counts=counts)
            elif closed_by is not None:  # cancelled before it ran: send it again, and
                closed = [*(item.get("closed") or ()), job_id]  # never look that job up
                self.store.update(item["id"], state="queued", job=None, closed=closed)
            elif status in ("ERROR", "CANCELLED"):
                error = runtime.error(job_id) or status.lower()
                self.store.update(item["id"], state="failed", error=error)
        except RuntimeFailed:
            self.pager.record(False)
            return None
        self.pager.record(True)
        return closed_by
