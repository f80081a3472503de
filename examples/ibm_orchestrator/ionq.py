"""The second provider, IonQ, through qiskit-ionq, unmodified (optional).

The account comes from the client's own environment variables (``IONQ_API_KEY``,
``IONQ_API_URL``): ``IonQProvider()`` with no arguments. Same calls as
:class:`~ibm_orchestrator.runtime.Runtime`, so the worker treats both alike; what
differs is here:

- the circuit goes as it is to ``backend.run`` (IonQ compiles its QIS gates itself;
  one it cannot take is a bad circuit);
- IonQ has no job tags: the request's tag travels in the job's metadata (echoed back),
  and :meth:`find` looks it up in the recent jobs;
- a job's status is qiskit's ``JobStatus``; counts come from IonQ's probabilities.
"""

import logging

from ibm_orchestrator.runtime import Runtime, RuntimeFailed

log = logging.getLogger("ionq.runtime")
LOOKUP_LIMIT = 100  # recent jobs searched for a tag (enough for a few minutes of traffic)


class IonqRuntime(Runtime):
    provider = "ionq"

    def connect(self):
        from qiskit_ionq import IonQProvider

        try:
            backend = IonQProvider().get_backend(self.backend_name)  # IONQ_API_* alone
            qubits = backend.num_qubits
        except Exception as exc:
            raise RuntimeFailed(exc) from None
        with self._lock:
            self._service, self._backend, self._jobs = backend.client, backend, {}
        log.info("connected to IonQ %s (%d qubits)", self.backend_name, qubits)

    def submit(self, source, shots, tag):
        from qiskit import qasm3
        from qiskit_ionq.exceptions import IonQGateError

        circuit = qasm3.loads(source)  # not transpiled: IonQ compiles its QIS gates itself

        def run():
            try:
                job = self._backend.run(circuit, shots=shots, extra_metadata={"ref": tag})
            except IonQGateError as exc:  # raised before any request: a bad circuit
                raise ValueError(f"IonQ cannot run it: {exc}") from None
            self._jobs[job.job_id()] = job
            return job.job_id()

        return self._call(run)

    def find(self, tag, skip=()):
        def run():
            client = self._service
            answer = client.get_with_retry(
                client.make_path("jobs"), params={"limit": LOOKUP_LIMIT}, headers=client.api_headers
            )
            answer.raise_for_status()
            for job in answer.json().get("jobs", []):
                if (job.get("metadata") or {}).get("ref") == tag and job["id"] not in skip:
                    return job["id"]
            return None

        return self._call(run)

    def _lookup(self, job_id):
        return self._backend.retrieve_job(job_id)

    def status(self, job_id):
        from qiskit_ionq.exceptions import IonQJobFailureError

        def run():
            try:
                return self._job(job_id).status().name
            except IonQJobFailureError:  # the client raises on a failed job's status
                return "ERROR"

        return self._call(run)

    def error(self, job_id):
        return f"IonQ job {job_id} failed"

    def counts(self, job_id):
        def run():
            counts = self._job(job_id).result().get_counts()
            self._jobs.pop(job_id, None)
            return counts

        return self._call(run)
