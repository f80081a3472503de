"""``gameday check-target``: the job API contract checked against real services.

The tiny example orchestrator (its own API) runs as a subprocess wired to a real fake
cloud; the contract is checked through its scenario's mapping (it passes) and through
the reference API it does not speak (it fails, saying what is wrong).
"""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from harness.sut.command import wait_until_ready

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def tiny(backend_url: str) -> AsyncIterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "QGAMEDAY_BACKENDS": "manila",
        "QGAMEDAY_BACKEND_MANILA_URL": backend_url,
        "QGAMEDAY_BACKEND_MANILA_API_KEY": "key-manila",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tiny_orchestrator", cwd=EXAMPLES, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        await wait_until_ready(url + "/api/v2/health", 20)
        yield url
    finally:
        proc.kill()
        await proc.wait()


async def check(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "harness.cli", "check-target", *args, cwd=ROOT,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "COLUMNS": "250"},
    )  # fmt: skip
    out, _ = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode()


async def test_the_tiny_orchestrator_meets_the_contract_through_its_mapping(start_cloud):
    cloud, _ = await start_cloud(time_scale=50.0, per_job=1.0)
    async with tiny(cloud.url) as url:
        code, out = await check(url, "--scenario", str(EXAMPLES / "tiny-token-expiry.yaml"))
    assert code == 0, out
    assert "The service meets the contract." in out
    assert "FAIL" not in out


async def test_a_service_that_does_not_speak_the_api_is_told_what_is_wrong(start_cloud):
    cloud, _ = await start_cloud(time_scale=50.0, per_job=1.0)
    async with tiny(cloud.url) as url:
        code, out = await check(url, "--timeout", "5")  # the reference API: POST /jobs
    assert code == 1, out
    assert "POST /jobs answers 2xx with a job id" in out
    assert "HTTP 404" in out


async def test_an_unreachable_service_is_exit_3():
    code, out = await check(f"http://127.0.0.1:{free_port()}")
    assert code == 3, out
    assert "no answer" in out
