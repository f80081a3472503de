"""Requests/s of ``GET url`` with a bearer token over :data:`CONNECTIONS` connections.

The HTTP baselines of ``make bench`` (``status_ratio``, ``locust_rps_vs_wrk``) are
measured so: with wrk (Debian's ``wrk``, ``-t1``) when it is installed, else with an
aiohttp closed loop of as many concurrent requests. Either raises on error answers, so a
rate of errors is never reported as a rate of answers.
"""

from __future__ import annotations

import asyncio
import re
import time

import aiohttp

__all__ = ["CONNECTIONS", "loop_rps", "wrk_rps"]

CONNECTIONS = 32


async def wrk_rps(url: str, token: str, seconds: float) -> float:
    """Requests/s wrk reaches in ``seconds`` (whole seconds, at least one)."""
    proc = await asyncio.create_subprocess_exec(
        "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{max(1, round(seconds))}s",
        "-H", f"Authorization: Bearer {token}", url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    out, _ = await proc.communicate()
    text = out.decode()
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    if non2xx:
        raise RuntimeError(f"{non2xx.group(1)} error answers from {url}")
    m = re.search(r"Requests/sec:\s+([\d.]+)", text)
    if m is None:
        raise RuntimeError(f"wrk said: {text[-500:]}")
    return float(m.group(1))


async def loop_rps(url: str, token: str, seconds: float) -> float:
    """Requests/s of an aiohttp closed loop in this process (wrk's stand-in)."""
    headers = {"Authorization": f"Bearer {token}"}
    done = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=CONNECTIONS)
    async with aiohttp.ClientSession(connector=connector, headers=headers) as http:

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                async with http.get(url) as resp:
                    await resp.read()
                    if resp.status != 200:
                        raise RuntimeError(f"{url} answered {resp.status}")
                done += 1

        t0 = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        return done / (time.perf_counter() - t0)
