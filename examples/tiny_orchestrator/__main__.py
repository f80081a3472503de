"""python -m tiny_orchestrator [--port N] [--store FILE]

Reads its wiring from the environment qgameday hands a `command` target (or that
`gameday env SCENARIO` prints): PORT, QGAMEDAY_BACKENDS, QGAMEDAY_BACKEND_<NAME>_URL /
_API_KEY, QGAMEDAY_WEBHOOK_URL, QGAMEDAY_EVENTS_URL. Uses the first backend.
"""

import argparse
import logging
import os
import re
import sys
import threading

from tiny_orchestrator.backend import Backend
from tiny_orchestrator.service import make_server
from tiny_orchestrator.store import RunStore
from tiny_orchestrator.worker import Pager, Worker


def backend_from_env():
    names = [n for n in os.environ.get("QGAMEDAY_BACKENDS", "").split(",") if n]
    if not names:
        sys.exit("tiny: no backend: set QGAMEDAY_BACKENDS (see `gameday env SCENARIO`)")
    var = "QGAMEDAY_BACKEND_" + re.sub(r"[^A-Z0-9]", "_", names[0].upper())
    return Backend(names[0], os.environ[var + "_URL"], os.environ[var + "_API_KEY"])


def main():
    parser = argparse.ArgumentParser(prog="tiny_orchestrator")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--store", help="keep runs in this JSON-lines file (survives a crash)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    store = RunStore(args.store)
    pager = Pager(os.environ.get("QGAMEDAY_WEBHOOK_URL"), os.environ.get("QGAMEDAY_EVENTS_URL"))
    worker = Worker(store, backend_from_env(), pager)
    threading.Thread(target=worker.run_forever, name="tiny-worker", daemon=True).start()
    server = make_server(args.port, store)
    logging.info("tiny orchestrator on 127.0.0.1:%d (store: %s)", args.port, args.store or "memory")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
