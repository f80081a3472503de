"""Scraping the SUT's metrics, as the monitoring system in front of it would.

With ``target.metrics: /metrics`` the harness GETs that path once a tick through the
``_metrics`` fault-proxy link (:data:`~harness.sut.wiring.METRICS_LINK`) and journals
each outcome as ``sut.scrape``: answered below 300, or not (status 0: no answer within
the scrape timeout, Prometheus' default of 10 scenario seconds with a wall floor). The
``telemetry.metrics_dark`` fault cuts that link: the SUT keeps working while whoever
watches it goes blind, and the report shows the gap. Nothing here reads the metrics: what
a game day scores is whether the SUT noticed (a SUT can tell that nobody has scraped it).
"""

from __future__ import annotations

import asyncio

import aiohttp

from harness.journal.records import SUT_SCRAPE, SutScrape
from harness.journal.store import Journal
from plumbing.clock import Clock

__all__ = ["SCRAPE_TIMEOUT", "scrape_loop"]

SCRAPE_TIMEOUT = 10.0  # scenario seconds (Prometheus' default scrape_timeout)


async def scrape_loop(
    http: aiohttp.ClientSession, url: str, clock: Clock, journal: Journal, every: float
) -> None:
    """GET ``url`` every ``every`` scenario seconds and journal each outcome, for ever."""
    wall = max(0.5, clock.to_wall(SCRAPE_TIMEOUT))
    while True:
        await clock.sleep(every - clock.now() % every)
        journal.write(SUT_SCRAPE(await _scrape(http, url, wall)))


async def _scrape(http: aiohttp.ClientSession, url: str, wall: float) -> SutScrape:
    try:
        async with asyncio.timeout(wall), http.get(url) as resp:
            await resp.read()
            return {"ok": resp.status < 300, "status": resp.status}
    except (aiohttp.ClientError, TimeoutError) as exc:
        return {"ok": False, "status": 0, "error": f"{type(exc).__name__}: {exc}"[:200]}
