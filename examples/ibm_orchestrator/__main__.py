"""python -m ibm_orchestrator [--port N] [--store FILE] [--backend NAME] [--ionq NAME]
                             [--session]

IBM Quantum's account comes from qiskit-ibm-runtime's own environment variables
(QISKIT_IBM_TOKEN, QISKIT_IBM_URL, QISKIT_IBM_INSTANCE, ...): a game day's `command`
target sets them (or `gameday env SCENARIO` prints them). The backend: --backend, else
$IBM_BACKEND, else the first of $QGAMEDAY_BACKENDS. Alerts go to $QGAMEDAY_WEBHOOK_URL,
mitigations to $QGAMEDAY_EVENTS_URL, when set.

--ionq NAME (or $IONQ_BACKEND), e.g. qpu.aria-1: IonQ's backend NAME, reached through
qiskit-ionq configured by its own IONQ_API_KEY / IONQ_API_URL, takes new experiments
while the IBM backend does not (see worker.py).

--session (or $IBM_SESSION=1): IBM jobs run in a qiskit_ibm_runtime.Session, opened on
first use; when IBM closes it (its maximum lifetime reached), a new one is opened and
the experiments it cancelled or refused are sent again (see worker.py).
"""

import argparse
import logging
import os
import sys
import threading

from ibm_orchestrator.ionq import IonqRuntime
from ibm_orchestrator.runtime import Runtime
from ibm_orchestrator.service import make_server
from ibm_orchestrator.store import Store
from ibm_orchestrator.worker import Pager, Worker


def main():
    parser = argparse.ArgumentParser(prog="ibm_orchestrator")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")))
    parser.add_argument("--store", help="keep experiments in this JSON-lines file")
    parser.add_argument("--backend", default=os.environ.get("IBM_BACKEND"))
    parser.add_argument("--ionq", default=os.environ.get("IONQ_BACKEND"), help="fallback")
    parser.add_argument(
        "--session",
        action="store_true",
        default=os.environ.get("IBM_SESSION", "0") not in ("", "0"),
        help="run IBM jobs in a Session",
    )
    args = parser.parse_args()
    backend = args.backend or os.environ.get("QGAMEDAY_BACKENDS", "").split(",")[0]
    if not backend:
        sys.exit("ibm_orchestrator: no backend: --backend, $IBM_BACKEND or $QGAMEDAY_BACKENDS")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("qiskit").setLevel(logging.WARNING)  # every transpiler pass at INFO
    logging.getLogger("qiskit_ibm_runtime").setLevel(logging.ERROR)  # one warning per retry
    store = Store(args.store)
    runtime = Runtime(backend, sessions=args.session)
    fallback = IonqRuntime(args.ionq) if args.ionq else None
    pager = Pager(os.environ.get("QGAMEDAY_WEBHOOK_URL"), os.environ.get("QGAMEDAY_EVENTS_URL"))
    worker = Worker(store, runtime, pager, fallback)
    threading.Thread(target=worker.run_forever, name="ibm-worker", daemon=True).start()
    server = make_server(args.port, store, list(worker.runtimes.values()))
    logging.info(
        "ibm orchestrator on 127.0.0.1:%d, backend %s%s, fallback %s",
        args.port,
        backend,
        " (in sessions)" if args.session else "",
        args.ionq,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
