"""The HTTP API (stdlib http.server, one thread per request).

POST /api/v2/runs       {"program": {"qasm": "..."}, "shots": 1024,
                         "request_id": "...", "project": "..."}
                        -> 201 {"run": {"id", "status"}} (200: that request id again)
GET  /api/v2/runs/<id>  -> {"run": {"id", "status": PENDING|SUBMITTED|DONE|ERROR,
                                    "result": {"counts": {...}} | null, "message"}}
GET  /api/v2/health     -> {"ok": true}
"""

import json
import re
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RUN_PATH = re.compile(r"^/api/v2/runs/([A-Za-z0-9-]{1,64})$")


def public(run):
    result = {"counts": run["counts"]} if run["counts"] is not None else None
    return {"run": {"id": run["id"], "status": run["status"], "result": result,
                    "message": run["message"]}}  # fmt: skip


def make_server(port, store):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass  # one line per request would drown sut.log

        def _send(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/api/v2/health":
                return self._send(200, {"ok": True})
            match = RUN_PATH.match(self.path)
            run = store.get(match.group(1)) if match else None
            if run is None:
                return self._send(404, {"message": "no such run"})
            return self._send(200, public(run))

        def do_POST(self):
            if self.path != "/api/v2/runs":
                return self._send(404, {"message": "no such endpoint"})
            try:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length))
                program = body["program"]["qasm"]
                shots = body["shots"]
                request_id = body["request_id"]
                project = body.get("project") or "default"
                if not (isinstance(program, str) and isinstance(request_id, str)
                        and isinstance(shots, int) and 0 < shots <= 100_000):  # fmt: skip
                    raise ValueError("bad field")
            except (ValueError, KeyError, TypeError):
                return self._send(400, {"message": "expected program.qasm, shots, request_id"})
            run, created = store.create(program, shots, request_id, project)
            return self._send(201 if created else 200, public(run))

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)
