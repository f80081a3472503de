"""Locustfile for a fake backend's native API (README, "The fake backends' native API").

Each user gets an access token (``POST /v1/auth/token`` with ``--qg-api-key``), submits a
circuit (``POST /v1/jobs``), polls ``GET /v1/jobs/{id}`` until DONE, then fetches
``GET /v1/jobs/{id}/result``. A 401 (token expired or revoked) gets a new token once.

    gameday load --target http://127.0.0.1:8001 --locustfile backend --api-key key-manila \\
        --users 20 --run-time 1m
"""

from __future__ import annotations

from typing import Any

from harness.load.jobmix import DrawnJob
from harness.load.locustfiles.jobs import JobUser, Polled, Submitted, json_body


class FakeBackendUser(JobUser):
    """A client of one fake backend's native API."""

    submit_path = "/v1/jobs"
    status_path = "/v1/jobs/{id}"
    result_name = "/v1/jobs/[id]/result"

    token = ""

    def on_start(self) -> None:
        super().on_start()
        self.authenticate()

    def authenticate(self) -> None:
        with self.client.post(
            "/v1/auth/token",
            json={"api_key": self.opts.api_key},
            name="/v1/auth/token",
            catch_response=True,
        ) as resp:
            data = json_body(resp) if resp.status_code == 200 else None
            if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
                resp.failure(f"no token (HTTP {resp.status_code}); is --qg-api-key right?")
                self.token = ""
                return
            self.token = data["access_token"]

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def submit_body(self, job: DrawnJob, key: str) -> dict[str, Any]:
        # the native API has no tenant field (the token says who submits): tags instead
        body = super().submit_body(job, key)
        del body["tenant"]
        return {**body, "tags": [job.tenant, job.name]}

    def submit(self, job: DrawnJob, key: str) -> Submitted:
        sub = super().submit(job, key)
        if sub.status == 401:  # the same key again: the backend deduplicates
            self.authenticate()
            sub = super().submit(job, key)
        return sub

    def job_state(self, data: Any) -> Polled:
        status = data.get("status") if isinstance(data, dict) else None
        if status in ("ERROR", "CANCELLED"):
            return Polled("failed", error=str(data.get("error") or status))
        if status != "DONE":
            return Polled("pending")
        return self.result(str(data["id"]))

    def poll(self, sut_id: str) -> Polled:
        polled = super().poll(sut_id)
        if polled.http_status == 401:  # expired or revoked: the next poll uses a new token
            self.authenticate()
        return polled

    def result(self, sut_id: str) -> Polled:
        with self.client.get(
            f"/v1/jobs/{sut_id}/result",
            headers=self.headers(),
            name=self.result_name,
            catch_response=True,
        ) as resp:
            data = json_body(resp) if resp.status_code == 200 else None
            if not isinstance(data, dict) or not isinstance(data.get("counts"), dict):
                resp.failure(f"no result (HTTP {resp.status_code})")
                return Polled("pending")
            return Polled("completed", counts=data["counts"])
