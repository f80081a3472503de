"""The HTTP API (stdlib http.server, one thread per request).

POST /v1/experiments       {"source": "<OpenQASM 3>", "shots": 1024, "ref": "client-ref"}
                           -> 201 {"id", "state"} (200 and the same experiment: that ref again)
GET  /v1/experiments/<id>  -> {"id", "state": queued|submitted|completed|failed,
                               "counts": {...} | null, "error": str | null}
GET  /healthz              -> 200 once connected to IBM Quantum (and the fallback, if
                              any), 503 before
"""

import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ITEM_PATH = re.compile(r"^/v1/experiments/([A-Za-z0-9-]{1,64})$")


def public(item):
    return {k: item[k] for k in ("id", "state", "counts", "error")}


def make_server(port, store, runtimes):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/healthz":
                ok = all(r.connected for r in runtimes)
                return self._send(200 if ok else 503, {"ok": ok})
            match = ITEM_PATH.match(self.path)
            item = store.get(match.group(1)) if match else None
            if item is None:
                return self._send(404, {"error": "no such experiment"})
            return self._send(200, public(item))

        def do_POST(self):
            if self.path != "/v1/experiments":
                return self._send(404, {"error": "no such endpoint"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                source, shots, ref = body["source"], body["shots"], body["ref"]
                if not (isinstance(source, str) and isinstance(ref, str) and 0 < len(ref) <= 128
                        and isinstance(shots, int) and 0 < shots <= 100_000):  # fmt: skip
                    raise ValueError("bad field")
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"error": "expected source, shots and ref"})
            item, created = store.create(source, shots, ref)
            return self._send(201 if created else 200, public(item))

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
