"""The README's "your own orchestrator" example, verbatim: it must keep working."""

from harness.load.locustfiles.jobs import JobUser, Polled


class MyOrchestratorUser(JobUser):
    submit_path = "/api/v2/runs"
    status_path = "/api/v2/runs/{id}"

    def submit_body(self, job, key):
        return {
            "program": job.circuit.qasm,
            "shots": self.opts.shots,
            "request_id": key,
            "project": job.tenant,
        }

    def job_id(self, data):
        return data.get("run_id")

    def job_state(self, data):
        if data["status"] == "DONE":
            return Polled("completed", counts=data["result"]["counts"])
        if data["status"] in ("ERROR", "CANCELLED"):
            return Polled("failed", error=data.get("message"))
        return Polled("pending")
