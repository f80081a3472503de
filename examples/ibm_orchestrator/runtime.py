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
  out, only once it had time to land: see worker.py).
"""

import logging
import re
import threading

log = logging.getLogger("ibm.runtime")

HTTP_STATUS = re.compile(r"\b([45]\d\d) (?:Client|Server) Error")


class RuntimeFailed(Exception):
    """A call to IBM Quantum failed; ``status`` is its HTTP status when one was given."""

    def __init__(self, exc):
        text = f"{type(exc).__name__}: {exc}"
        super().__init__(text[:500])
        match = HTTP_STATUS.search(text)
        self.status = getattr(exc, "status_code", None) or (int(match.group(1)) if match else None)
        self.unanswered = "timed out" in text.lower()  # sent, no answer: it may still run


class Runtime:
    provider = "ibm"

    def __init__(self, backend_name):
        self.backend_name = backend_name
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
            sampler = SamplerV2(mode=self._backend)
            sampler.options.environment.job_tags = [tag]
            job = sampler.run([isa], shots=shots)
            self._jobs[job.job_id()] = job
            return job.job_id()

        return self._call(run)

    def find(self, tag):
        """The id of the newest job carrying ``tag``, or None."""

        def run():
            jobs = self._service.jobs(job_tags=[tag], limit=1)
            return jobs[0].job_id() if jobs else None

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
