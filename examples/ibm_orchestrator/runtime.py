"""Everything that talks to IBM Quantum: qiskit-ibm-runtime, unmodified.

The account comes from the client's own environment variables (``QISKIT_IBM_TOKEN``,
``QISKIT_IBM_URL``, ``QISKIT_IBM_INSTANCE``, ...): nothing here knows whether it talks to
IBM's cloud or to a game day's fake. What the client does not do for us:

- it never exchanges its API key again after a ``401`` (it trusts the token's own
  expiry time), so a revoked token fails every call until we build a new service;
- job objects keep the service (and token) they were made with: after a new service,
  jobs are looked up again by id;
- a submit whose answer was lost may have created the job (the client itself retries a
  POST after a 5xx): every job carries a tag naming the request, and a request that
  failed once is looked up by its tag before it is submitted again (one that timed
  out, only once it had time to land: see worker.py);
- in session mode (``--session``) a session that closes (its maximum lifetime reached,
  or closed by IBM) cancels its queued jobs and refuses new ones (400, code 1217); the
  client reports such a job as CANCELLED and nothing more, so :meth:`Runtime.closed_by`
  tells these apart from other cancellations by what the API shows publicly (see there).
"""

import logging
import re
import threading
from datetime import datetime

log = logging.getLogger("ibm.runtime")

HTTP_STATUS = re.compile(r"\b([45]\d\d) (?:Client|Server) Error")
SESSION_CLOSED = re.compile(r'"code":\s*1217\b')  # IBM's error 1217: "Session has been closed."


class RuntimeFailed(Exception):
    """A call to IBM Quantum failed; ``status`` is its HTTP status when one was given."""

    def __init__(self, exc):
        text = f"{type(exc).__name__}: {exc}"
        super().__init__(text[:500])
        match = HTTP_STATUS.search(text)
        self.status = getattr(exc, "status_code", None) or (int(match.group(1)) if match else None)
        self.unanswered = "timed out" in text.lower()  # sent, no answer: it may still run
        self.session_closed = bool(SESSION_CLOSED.search(text))  # refused: not created


class Runtime:
    provider = "ibm"

    def __init__(self, backend_name, sessions=False):
        self.backend_name = backend_name
        self.sessions = sessions  # run every job in a Session (opened by open_session)
        self._session = None  # the Session new jobs go to (None: none open yet)
        self._opened = {}  # session id -> Session, those opened with the current service
        self._lock = threading.Lock()
        self._service = None
        self._backend = None
        self._pm = None
        self._timed_pm = None  # for circuits with delays: scheduled (alap)
        self._jobs = {}  # job id -> RuntimeJobV2 of the current service
        self._transpiling = threading.Lock()  # a pass manager is not thread-safe

    @property
    def connected(self):
        return self._service is not None

    def connect(self):
        """A new service (a new token exchange) and the backend; raises RuntimeFailed."""
        from qiskit.transpiler import generate_preset_pass_manager
        from qiskit_ibm_runtime import QiskitRuntimeService

        try:
            service = QiskitRuntimeService()  # the account from QISKIT_IBM_* alone
            backend = service.backend(self.backend_name)
            pm = generate_preset_pass_manager(backend=backend, optimization_level=1)
            # a circuit with a delay (scheduled idle) must be scheduled: without it the
            # preset passes refuse it on a backend with timing constraints
            timed = generate_preset_pass_manager(
                backend=backend, optimization_level=1, scheduling_method="alap"
            )
        except Exception as exc:
            raise RuntimeFailed(exc) from None
        with self._lock:
            self._service, self._backend, self._jobs = service, backend, {}
            self._pm, self._timed_pm = pm, timed
            # a Session keeps the service it was opened with (and its token): a new
            # service opens a new session on first use; jobs in the old one still run
            self._session, self._opened = None, {}
        log.info("connected to %s (%d qubits)", backend.name, backend.num_qubits)

    def usable(self):
        """Whether the backend takes jobs now (False when paused for maintenance or
        offline); raises RuntimeFailed when it cannot be asked."""
        return self._call(lambda: self._backend.status().operational)

    def drop(self):
        """Forget the service (its token was refused): the next tick connects again."""
        with self._lock:
            self._service = None

    def _call(self, fn):
        if self._service is None:
            raise RuntimeFailed(ConnectionError("not connected"))
        try:
            return fn()
        except ValueError:  # the circuit, not the provider: the caller fails the experiment
            raise
        except Exception as exc:
            failed = RuntimeFailed(exc)
            if failed.status == 401:
                self.drop()
            raise failed from None

    def submit(self, source, shots, tag):
        """Parse OpenQASM 3, transpile for the backend, run it with SamplerV2: job id."""
        from qiskit import qasm3
        from qiskit_ibm_runtime import SamplerV2

        circuit = qasm3.loads(source)  # a bad circuit raises here: not a backend failure
        delays = any(i.operation.name == "delay" for i in circuit.data)
        with self._transpiling:
            isa = (self._timed_pm if delays else self._pm).run(circuit)

        def run():
            # the worker opens the session before a tick's submits (open_session) and
            # drops it only between them: every submit of a tick uses the same one
            sampler = SamplerV2(mode=self._session if self.sessions else self._backend)
            sampler.options.environment.job_tags = [tag]
            job = sampler.run([isa], shots=shots)
            self._jobs[job.job_id()] = job
            return job.job_id()

        return self._call(run)

    def find(self, tag, skip=()):
        """The id of the newest job carrying ``tag`` that is not in ``skip``, or None."""

        def run():
            jobs = self._service.jobs(job_tags=[tag], limit=len(skip) + 1)
            return next((j.job_id() for j in jobs if j.job_id() not in skip), None)

        return self._call(run)

    # -- sessions (--session) -----------------------------------------------------

    @property
    def session_id(self):
        """The id of the session new jobs go to, or None when none is open."""
        return self._session.session_id if self._session is not None else None

    def open_session(self):
        """Open a new Session for the next jobs; its id. Raises RuntimeFailed."""
        from qiskit_ibm_runtime import Session

        def run():
            session = Session(backend=self._backend)
            self._session = self._opened[session.session_id] = session
            return session.session_id

        session_id = self._call(run)
        log.info("opened session %s", session_id)
        return session_id

    def session_closed(self):
        """Forget the session IBM closed: the worker opens a new one before it submits again."""
        self._session = None

    def closed_by(self, job_id):
        """The session whose closing cancelled this CANCELLED job before it ran, or None.

        The client shows both a session's closing and any other cancellation (by a
        user, by the provider) as CANCELLED, with no error message. What tells them apart
        is public: the job is in a session (``job.session_id``), that session is closed
        (``details()``), the job ended when it closed or after (its metrics' timestamps),
        and it never started running. Only then is it safe to run it again: it cannot
        have produced a result.
        """
        from qiskit_ibm_runtime import Session

        def run():
            job = self._job(job_id)
            session_id = job.session_id
            if not session_id:
                return None
            stamps = job.metrics().get("timestamps") or {}
            if stamps.get("running") or not stamps.get("finished"):
                return None  # it ran (or we cannot tell): not ours to run again
            session = self._opened.get(session_id)
            if session is None:  # opened by an earlier service (or process)
                session = Session.from_id(session_id, self._service)
            details = session.details() or {}
            if details.get("state") != "closed" or not details.get("closed_at"):
                return None
            if _instant(stamps["finished"]) < _instant(details["closed_at"]):
                return None  # cancelled before its session closed: not by the close
            return session_id

        return self._call(run)

    def _job(self, job_id):
        job = self._jobs.get(job_id)
        if job is None:  # made by an earlier service (or process): look it up again
            job = self._jobs[job_id] = self._lookup(job_id)
        return job

    def _lookup(self, job_id):
        return self._service.job(job_id)

    def status(self, job_id):
        """QUEUED, RUNNING, DONE, ERROR or CANCELLED."""
        return self._call(lambda: self._job(job_id).status())

    def error(self, job_id):
        return self._call(lambda: self._job(job_id).error_message())

    def counts(self, job_id):
        """Counts of the job's one pub, all classical registers joined."""

        def run():
            result = self._job(job_id).result()
            self._jobs.pop(job_id, None)
            return result[0].join_data().get_counts()

        return self._call(run)


def _instant(timestamp):
    """An API timestamp (ISO 8601, ``Z`` or an offset) as an aware datetime."""
    return datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
