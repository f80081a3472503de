"""``status_ratio``: req/s of ``GET /v1/jobs/{id}`` on a fake backend vs a bare handler.

Both servers run in their own process, one after the other, and get the same load:
wrk (``-t1 -c32``) when it is installed (Debian package ``wrk``), else a closed-loop
aiohttp client with 32 concurrent requests in this process. The bare server is an
aiohttp handler returning the same JSON body, so the ratio is the cost of the fake
backend's middleware, auth, lookup and job JSON. Goal (issue 3): >= 0.6.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sys
from typing import Any

from benchmarks.rps import CONNECTIONS, loop_rps, wrk_rps


async def _start(*args: str) -> tuple[asyncio.subprocess.Process, dict[str, Any]]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.status_server", *args, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    async with asyncio.timeout(120):
        line = await proc.stdout.readline()
    if not line:
        raise RuntimeError(f"status server {args[0]} exited with {await proc.wait()}")
    return proc, json.loads(line)


async def _stop(proc: asyncio.subprocess.Process) -> None:
    # SIGINT lets the server shut its Aer workers down; they hold our pipe open otherwise
    proc.send_signal(signal.SIGINT)
    try:
        async with asyncio.timeout(30):
            await proc.wait()
    except TimeoutError:
        proc.kill()
        await proc.wait()


async def status_ratio(seconds: float = 10.0) -> dict[str, Any]:
    tool = "wrk" if shutil.which("wrk") else "aiohttp client loop"
    load = wrk_rps if tool == "wrk" else loop_rps
    proc, fake = await _start("fake")
    try:
        fake_rps = await load(fake["url"] + fake["path"], fake["token"], seconds)
    finally:
        await _stop(proc)
    proc, bare = await _start("bare", json.dumps(fake["body"]))
    try:
        bare_rps = await load(bare["url"] + bare["path"], bare["token"], seconds)
    finally:
        await _stop(proc)
    return {
        "tool": f"{tool}, {CONNECTIONS} connections, {seconds:g}s each",
        "fake_backend_req_per_s": round(fake_rps),
        "bare_aiohttp_req_per_s": round(bare_rps),
        "status_ratio": round(fake_rps / bare_rps, 3),
        "goal": ">= 0.6",
    }
