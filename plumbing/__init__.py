"""Shared plumbing of every part of qgameday: the fake clouds, the harness and the
reference orchestrator each use it, and none of them imports another's internals.

- :mod:`plumbing.clock`: the scenario clock protocol and its two clocks (scaled, fake);
- :mod:`plumbing.serve`: serve an aiohttp app on loopback; supervised background tasks;
- :mod:`plumbing.http_errors`: the JSON error shape, both sides (answer with it, read it);
- :mod:`plumbing.json_call`: one JSON API call, every unusable answer an ApiCallError;
- :mod:`plumbing.native_client`: the client of the native JSON API the fake clouds serve;
- :mod:`plumbing.records`: how a part hands journal records to whoever writes the journal.

Nothing here knows a fake cloud, a scenario or a game day.
"""
