"""``JobUser``: a Locust user that submits circuits and follows each job to its end.

Runs inside Locust only. One user is one client of the orchestrator: it draws a job
from the run's :class:`~harness.load.jobmix.JobMix` (the same circuits, tenants and names as
the built-in workload, seeded), submits it with its own idempotency key, polls it until
it completes or fails, then thinks before the next one. Each step is reported to the
SLI recorder, so a game day journals the same ``job.*`` records as with the built-in
workload and the ledger (lost, duplicated jobs) works unchanged.

**Your own orchestrator.** Subclass and override what differs; keep ``abstract`` off in
the subclass (Locust then runs it) and import only ``JobUser`` (and ``Polled``) into your
file. The hooks: ``submit_path`` and ``status_path`` (``{id}`` is the job's id),
``submit_body(job, key)`` (the JSON to POST for a :class:`~harness.load.jobmix.DrawnJob`
under its idempotency key), ``job_id(data)`` (the id in the submit answer),
``job_state(data)`` (a :class:`Polled`: ``pending``, ``completed`` with the counts, or
``failed``) and ``headers()``. README's "Your own orchestrator" shows a whole one; it is
played as it stands by the tests (``tests/integration/locustfiles/my_orchestrator.py``),
so that copy, not one here, is the one kept working.

The paths can also be given as options (``--qg-submit-path``, ``--qg-status-path``).
Options (all times in wall-clock seconds; a game day converts scenario times):
``--qg-seed``, ``--qg-run-id``, ``--qg-circuits``, ``--qg-shots``, ``--qg-tenants``,
``--qg-poll-interval``, ``--qg-think-time``, ``--qg-request-timeout``,
``--qg-job-weight`` and ``--qg-read-weight`` (the share of tasks that submit a job vs.
re-read a finished one, like a dashboard would), ``--qg-api-key`` (for users that
authenticate, like the fake backend's).

**The scenario's job API.** ``--qg-api FILE`` (a game day writes it from the target's
``api:`` mapping or ``adapter:``) makes every user call the SUT through the same
:class:`~harness.sut.api.JobApi` the built-in workload uses: one definition of "your
API" for both engines. It replaces the hooks below.
"""

from __future__ import annotations

import itertools
import json
import random
import time
from argparse import ArgumentParser, Namespace
from dataclasses import dataclass
from typing import Any

import gevent
from locust import FastHttpUser, events, task
from locust.contrib.fasthttp import ResponseContextManager
from locust.env import Environment

from harness.journal import records
from harness.load.circuits import tag_of
from harness.load.jobmix import DrawnJob, JobMix
from harness.load.locustfiles.sli import recorder_for
from harness.sut.api import JobApi, JobRequest, JobState, api_from_file_data
from plumbing.seeds import derive

__all__ = ["JobOptions", "JobUser", "Polled", "Submitted", "json_body"]

START_POLL_S = 0.05


@dataclass(frozen=True, slots=True)
class Submitted:
    """The answer to a submit: the orchestrator's job id, or why there is none."""

    sut_id: str | None
    status: int  # HTTP status; 0 when there was no answer (timeout, connection error)
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Polled:
    """A job's state as the orchestrator reports it: pending, completed or failed."""

    state: str
    counts: dict[str, int] | None = None
    error: str | None = None
    http_status: int = 200


@dataclass(frozen=True, slots=True)
class JobOptions:
    """The ``--qg-*`` options users read (see the module docstring)."""

    seed: int
    run_id: str
    circuits: tuple[str, ...]
    shots: int
    tenants: int
    poll_interval: float
    think_time: float
    request_timeout: float
    job_weight: float
    read_weight: float
    submit_path: str | None
    status_path: str | None
    api_key: str
    api_file: str

    @classmethod
    def from_options(cls, opts: Namespace | None) -> JobOptions:
        def get(name: str, default: Any) -> Any:
            value = getattr(opts, name, None)
            return default if value is None else value

        circuits = tuple(c.strip() for c in str(get("qg_circuits", "bell")).split(",") if c)
        return cls(
            seed=int(get("qg_seed", 0)),
            run_id=str(get("qg_run_id", "") or get("qg_seed", 0)),
            circuits=circuits or ("bell",),
            shots=int(get("qg_shots", 1024)),
            tenants=int(get("qg_tenants", 3)),
            poll_interval=float(get("qg_poll_interval", 1.0)),
            think_time=float(get("qg_think_time", 1.0)),
            request_timeout=float(get("qg_request_timeout", 30.0)),
            job_weight=float(get("qg_job_weight", 1.0)),
            read_weight=float(get("qg_read_weight", 0.0)),
            submit_path=get("qg_submit_path", None) or None,
            status_path=get("qg_status_path", None) or None,
            api_key=str(get("qg_api_key", "")),
            api_file=str(get("qg_api", "")),
        )


def _options(parser: ArgumentParser) -> None:
    g = parser.add_argument_group("qgameday job users")
    g.add_argument("--qg-seed", type=int, default=0, help="seed of tenants and circuit draws")
    g.add_argument("--qg-run-id", default="", help="prefix of idempotency keys (default: seed)")
    g.add_argument("--qg-circuits", default="bell,ghz-3,ghz-5", help="comma-separated circuits")
    g.add_argument("--qg-shots", type=int, default=1024)
    g.add_argument("--qg-tenants", type=int, default=3)
    g.add_argument("--qg-poll-interval", type=float, default=1.0, help="seconds between polls")
    g.add_argument("--qg-think-time", type=float, default=1.0, help="mean pause between tasks")
    g.add_argument("--qg-request-timeout", type=float, default=30.0)
    g.add_argument("--qg-job-weight", type=float, default=1.0, help="weight of submit-and-follow")
    g.add_argument("--qg-read-weight", type=float, default=0.0, help="weight of re-reading a job")
    g.add_argument("--qg-submit-path", default="", help="override the user class's submit path")
    g.add_argument("--qg-status-path", default="", help="override the status path ({id})")
    g.add_argument("--qg-api-key", default="", help="API key, for users that authenticate")
    g.add_argument("--qg-api", default="", help="JSON file: the SUT's job API (harness.sut.api)")


# registered once per Locust process, when the first locustfile imports this module
events.init_command_line_parser.add_listener(_options)

_USER_NUMBERS = itertools.count(1)


class JobUser(FastHttpUser):
    """Submit-and-follow user for the reference orchestrator's API (override the hooks)."""

    abstract = True
    submit_path = "/jobs"
    status_path = "/jobs/{id}"
    # the names requests are grouped under in statistics (default: the paths, "[id]")
    submit_name: str | None = None
    status_name: str | None = None

    def __init__(self, environment: Environment) -> None:
        self.opts = JobOptions.from_options(environment.parsed_options)
        self.network_timeout = self.connection_timeout = self.opts.request_timeout
        super().__init__(environment)
        self.rec = recorder_for(environment)
        self.number = next(_USER_NUMBERS)
        self.rng = random.Random(f"{self.opts.seed}-{self.rec.source}-{self.number}")
        self.mix = JobMix(self.opts.seed, self.opts.circuits, self.opts.tenants, rng=self.rng)
        self.submitted = 0
        self.finished: list[str] = []
        if self.opts.submit_path:
            self.submit_path = self.opts.submit_path
        if self.opts.status_path:
            self.status_path = self.opts.status_path
        self.api = _load_api(self.opts.api_file)
        if self.api is not None:
            request = JobRequest("", 1, "k", "t")
            self.submit_path = self.api.submit_call(request).path
            self.status_path = self.api.status_call("{id}").path.replace("%7Bid%7D", "{id}")
        self.submit_label = self.submit_name or self.submit_path
        self.status_label = self.status_name or self.status_path.replace("{id}", "[id]")

    def wait_time(self) -> float:
        return self.opts.think_time * self.rng.uniform(0.5, 1.5)

    def on_start(self) -> None:
        # the harness starts the scenario clock after Locust is up: wait for it
        while not self.rec.control.started:
            gevent.sleep(START_POLL_S)

    @task
    def step(self) -> None:
        """Submit and follow a job, or (by weight) re-read a finished one."""
        if not self.rec.control.may_submit(time.time()):
            return  # before the start or after the submit deadline: idle
        weights = (self.opts.job_weight, self.opts.read_weight if self.finished else 0.0)
        if self.rng.choices(("job", "read"), weights)[0] == "read":
            self.poll(self.rng.choice(self.finished[-50:]))
            return
        self.run_job()

    def run_job(self) -> None:
        self.submitted += 1
        key = f"lc-{self.opts.run_id}-{self.rec.source}-{self.number:03d}-{self.submitted:05d}"
        # the fingerprint angle from the key: users draw independently, so no shared index
        job = self.mix.draw(tag=tag_of(0, derive(self.opts.seed, f"fingerprints:{key}") / 2**63))
        submitted = records.JobSubmitted(
            job=key,
            tenant=job.tenant,
            name=job.name,
            circuit=job.circuit.name,
            shots=self.opts.shots,
            width=job.circuit.num_qubits,
            ideal=job.circuit.ideal,
        )
        if job.circuit.nonce:
            submitted["nonce"] = job.circuit.nonce  # canaries only
        self.rec.job(records.JOB_SUBMITTED(submitted))
        self.rec.in_flight += 1
        try:
            sub = self.submit(job, key)
            if sub.sut_id is None:
                kind = records.JOB_INDETERMINATE if sub.status == 0 else records.JOB_REJECTED
                self.rec.job(kind({"job": key, "status": sub.status, "error": sub.error}))
                return
            self.rec.job(records.JOB_ACCEPTED({"job": key, "sut_id": sub.sut_id}))
            self.follow(key, sub.sut_id)
        finally:
            self.rec.in_flight -= 1

    def follow(self, key: str, sut_id: str) -> None:
        """Poll until the job ends or the drain deadline passes (then it stays unfinished)."""
        first = True
        while True:
            left = (self.rec.control.drain_until or float("inf")) - time.time()
            if left <= 0:
                return
            # jitter spreads the polls of jobs submitted together, as the built-in workload
            pause = self.opts.poll_interval * (self.rng.uniform(0.2, 1.0) if first else 1.0)
            first = False
            gevent.sleep(min(pause, left))
            polled = self.poll(sut_id)
            if polled.state == "completed":
                counts = polled.counts or {}
                self.rec.job(
                    records.JOB_COMPLETED({"job": key, "sut_id": sut_id, "counts": counts})
                )
                self.finished.append(sut_id)
                return
            if polled.state == "failed":
                self.rec.job(
                    records.JOB_FAILED({"job": key, "sut_id": sut_id, "error": polled.error})
                )
                return

    # -- hooks for another API ------------------------------------------------------

    def headers(self) -> dict[str, str]:
        """Extra request headers (authentication, say)."""
        return {}

    def submit_body(self, job: DrawnJob, key: str) -> dict[str, Any]:
        """The JSON body of a submit."""
        return {
            "circuit": job.circuit.qasm,
            "format": "qasm3",
            "shots": self.opts.shots,
            "idempotency_key": key,
            "tenant": job.tenant,
        }

    def job_id(self, data: Any) -> str | None:
        """The job id in the submit answer."""
        job_id = data.get("id") if isinstance(data, dict) else None
        return job_id if isinstance(job_id, str) else None

    def job_state(self, data: Any) -> Polled:
        """The job state in a status answer."""
        state = data.get("state") if isinstance(data, dict) else None
        if state == "completed":
            return Polled("completed", counts=data.get("counts"))
        if state == "failed":
            return Polled("failed", error=str(data.get("error")))
        return Polled("pending")

    def submit(self, job: DrawnJob, key: str) -> Submitted:
        """POST the job; a non-2xx answer is a failed request and a rejected job."""
        if self.api is not None:
            call = self.api.submit_call(
                JobRequest(job.circuit.qasm, self.opts.shots, key, job.tenant)
            )
            method, path, body, headers = call.method, call.path, call.body, dict(call.headers)
        else:
            method, path = "POST", self.submit_path
            body, headers = self.submit_body(job, key), self.headers()
        with self.client.request(
            method, path, json=body, headers=headers, name=self.submit_label, catch_response=True
        ) as resp:
            problem = _problem(resp)
            if problem is not None:
                resp.failure(problem)
                return Submitted(None, resp.status_code or 0, problem)
            data = json_body(resp)
            sut_id = self.api.job_id(data) if self.api is not None else self.job_id(data)
            if sut_id is None:
                resp.failure("the answer has no job id")
                return Submitted(None, 502, "the answer has no job id")
            return Submitted(sut_id, resp.status_code)

    def poll(self, sut_id: str) -> Polled:
        """GET the job's status; a failed request leaves it pending."""
        if self.api is not None:
            return self._poll_api(self.api, sut_id)
        with self.client.get(
            self.status_path.replace("{id}", sut_id),
            headers=self.headers(),
            name=self.status_label,
            catch_response=True,
        ) as resp:
            problem = _problem(resp)
            if problem is not None:
                resp.failure(problem)
                return Polled("pending", http_status=resp.status_code or 0)
            try:
                return self.job_state(json_body(resp))
            except (KeyError, TypeError, ValueError) as exc:
                resp.failure(f"unexpected status answer: {exc!r}")
                return Polled("pending")

    def _poll_api(self, api: JobApi, sut_id: str) -> Polled:
        state = None
        for call in (api.status_call(sut_id), api.result_call(sut_id)):
            if call is None or (state is not None and state.state != "completed"):
                break
            label = self.status_label if state is None else "result"
            with self.client.request(
                call.method, call.path, headers=dict(call.headers), name=label,
                catch_response=True,
            ) as resp:  # fmt: skip
                problem = _problem(resp)
                if problem is not None:
                    resp.failure(problem)
                    return Polled("pending", http_status=resp.status_code or 0)
                data = json_body(resp)
            if state is None:
                state = api.job_state(data)
                if state.counts is not None:
                    break
            else:
                state = JobState("completed", api.result_counts(data), raw=state.raw)
        assert state is not None
        return Polled(state.state, counts=state.counts, error=state.error)


def _load_api(path: str) -> JobApi | None:
    if not path:
        return None
    with open(path, encoding="utf-8") as fh:
        return api_from_file_data(json.load(fh))


def _problem(resp: ResponseContextManager) -> str | None:
    status = resp.status_code or 0
    if status == 0:
        return f"no answer: {getattr(resp, 'error', None)!r}"
    if status >= 400:
        return f"HTTP {status}: {(resp.text or '')[:200]}"
    return None


def json_body(resp: ResponseContextManager) -> Any:
    """The answer's JSON, or None when it is not JSON."""
    try:
        return resp.json()
    except ValueError:
        return None
