"""Test locustfile: the reference user plus a request that always fails (404)."""

import time

from locust import task

from harness.load.locustfiles.jobs import JobUser


class MixedUser(JobUser):
    """Submits and follows jobs, and reads a job that does not exist."""

    @task
    def missing(self) -> None:
        if self.rec.control.may_submit(time.time()):
            self.client.get("/jobs/no-such-job", name="/jobs/[missing]")
