"""A server for the ``status_ratio`` benchmark, run in its own process.

``python -m benchmarks.status_server fake`` starts a fake backend, submits one job,
waits for it, and prints one JSON line: ``{"url", "token", "path", "body"}``.
``python -m benchmarks.status_server bare BODY_JSON`` serves BODY_JSON from a bare
aiohttp handler at the same path and prints the same line. Both serve until killed.
"""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import aiohttp
from aiohttp import web

from fake_backends.cloud import FakeCloud
from fake_backends.executor import AerExecutor
from fake_backends.scheduling import ServiceTime
from fake_backends.server import serve_cloud
from fake_backends.spec import BackendSpec
from harness.load.circuits import circuit
from plumbing.clock import ScaledClock
from plumbing.native_client import NativeClient
from plumbing.serve import serve_app


async def _fake() -> None:
    spec = BackendSpec(name="bench", service_time=ServiceTime(0.0, 0.0))
    async with AerExecutor(workers=1) as ex:
        cloud = FakeCloud(spec, clock=ScaledClock(1.0), executor=ex)
        async with serve_cloud(cloud), aiohttp.ClientSession() as http:
            api = NativeClient(http, cloud.url)
            token = (await api.authenticate("key-bench"))["access_token"]
            job = await api.submit(token, circuit=circuit("ghz-5").qasm, shots=1024)
            await cloud.jobs[job["id"]].done.wait()
            path = f"/v1/jobs/{job['id']}"
            body = await api.job(token, job["id"])
            _announce(cloud.url, token, path, body)
            await asyncio.Event().wait()


async def _bare(body: dict[str, Any]) -> None:
    async def handler(request: web.Request) -> web.Response:
        return web.json_response(body)

    app = web.Application()
    app.router.add_get("/v1/jobs/{id}", handler)
    async with serve_app(app) as url:
        _announce(url, "unused", f"/v1/jobs/{body['id']}", body)
        await asyncio.Event().wait()


def _announce(url: str, token: str, path: str, body: dict[str, Any]) -> None:
    line = json.dumps({"url": url, "token": token, "path": path, "body": body})
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def main() -> None:
    try:
        if sys.argv[1] == "fake":
            asyncio.run(_fake())
        else:
            asyncio.run(_bare(json.loads(sys.argv[2])))
    except KeyboardInterrupt:
        pass  # the benchmark stops us with SIGINT


if __name__ == "__main__":
    main()
