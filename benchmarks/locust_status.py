"""Locustfile of the ``load`` benchmark: FastHttpUsers hammering one job-status URL.

Runs inside Locust only (``benchmarks/load.py`` starts it as a subprocess).
"""

from argparse import ArgumentParser

from locust import FastHttpUser, constant, events, task


def _options(parser: ArgumentParser) -> None:
    parser.add_argument("--qg-status-path", default="/healthz")
    parser.add_argument("--qg-token", default="")


events.init_command_line_parser.add_listener(_options)


class StatusUser(FastHttpUser):
    """No think time: as many requests as one process can make."""

    wait_time = constant(0)

    @task
    def status(self) -> None:
        opts = self.environment.parsed_options
        self.client.get(
            getattr(opts, "qg_status_path", "/healthz"),
            headers={"Authorization": f"Bearer {getattr(opts, 'qg_token', '')}"},
            name="/v1/jobs/[id]",
        )
