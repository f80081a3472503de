"""Load testing with Locust: standalone (``gameday load``) and as a game day's load.

Harness side (asyncio, never imports locust):

- :mod:`.driver`: Locust as a subprocess in its own process group, its plugin's lines;
- :mod:`.engine`: the Locust engine of a game day (``workload.engine: locust``);
- :mod:`.standalone`: ``gameday load``; :mod:`.summary`: its report;
- :mod:`.embedded`: a fake backend / reference orchestrator to load without deploying;
- :mod:`.lines`: the SLI plugin's line format; :mod:`.files`: where the locustfiles are.

Locust side: :mod:`.locustfiles` (the SLI plugin and the shipped locustfiles), loaded by
path into Locust processes only.
"""
