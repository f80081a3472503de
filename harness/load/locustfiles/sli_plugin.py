"""The qgameday SLI plugin: load it before your locustfile.

    locust -f harness/load/locustfiles/sli_plugin.py,my_locustfile.py \\
        --qg-sli-out sli.jsonl ...

It writes one JSON line per finished interval (1 s by default) with the requests,
failures and latency histogram of every endpoint (see :mod:`harness.load.lines`), and
the job steps users report. ``gameday load`` and game days with ``engine: locust`` add
it for you.
"""

from locust import events

from harness.load.locustfiles.sli import install

install(events)
