"""Code that runs only inside Locust processes (never imported by the harness).

``import locust`` monkey-patches the standard library with gevent, which deadlocks an
asyncio process; the harness therefore starts Locust as a subprocess
(:mod:`harness.load.driver`) and these modules are loaded there, by path, with
``locust -f sli_plugin.py,reference_api.py``:

- :mod:`.sli_plugin` (``-f`` file): loads the SLI recorder of :mod:`.sli`;
- :mod:`.sli`: per-interval request counts and latency histograms per endpoint, the
  job outcomes users report, the control channel from the harness, distributed mode;
- :mod:`.jobs`: :class:`~.jobs.JobUser`, the abstract user that submits circuits and
  follows them, with hooks for a user's own orchestrator API;
- :mod:`.reference_api` and :mod:`.backend_api` (``-f`` files): users for the
  reference orchestrator's API and for a fake backend's native API.
"""
