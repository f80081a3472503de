"""A tiny quantum job orchestrator to put under test: standard library only, threads.

Deliberately unlike the reference orchestrator (asyncio, aiohttp): its own job API
(`/api/v2/runs`, see `service.py`), blocking calls, plain `time.sleep`. qgameday starts
it as a `command` target under libfaketime, so its sleeps and timeouts run at the game
day's time scale unchanged. Copy it, change it, break it.
"""
