"""The run table: in memory, or also appended to a JSON-lines file that survives a crash.

With a file, every change is written (and flushed to the OS) before the client hears of
it, so a process killed with SIGKILL loses nothing it has acknowledged; at start the last
line of each run wins.
"""

import json
import os
import threading
import uuid


class RunStore:
    def __init__(self, path=None):
        self.path = path
        self.lock = threading.Lock()
        self.runs = {}  # id -> dict
        self.by_request = {}  # (project, request_id) -> id
        self._file = None
        if path:
            self._load(path)
            self._file = open(path, "a", encoding="utf-8")

    def _load(self, path):
        if not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                try:
                    run = json.loads(line)
                except ValueError:
                    continue  # a torn last line: the client never got an answer for it
                self.runs[run["id"]] = run
                self.by_request[(run["project"], run["request_id"])] = run["id"]

    def _save(self, run):
        if self._file is not None:
            self._file.write(json.dumps(run) + "\n")
            self._file.flush()

    def create(self, program, shots, request_id, project):
        """Return (run, created): the existing run when the request id was seen before."""
        with self.lock:
            known = self.by_request.get((project, request_id))
            if known is not None:
                return dict(self.runs[known]), False
            run = {
                "id": "r-" + uuid.uuid4().hex[:12],
                "status": "PENDING",
                "program": program,
                "shots": shots,
                "request_id": request_id,
                "project": project,
                "backend_job": None,
                "counts": None,
                "message": None,
            }
            self.runs[run["id"]] = run
            self.by_request[(project, request_id)] = run["id"]
            self._save(run)
            return dict(run), True

    def get(self, run_id):
        with self.lock:
            run = self.runs.get(run_id)
            return dict(run) if run else None

    def update(self, run_id, **changes):
        with self.lock:
            run = self.runs[run_id]
            run.update(changes)
            self._save(run)

    def with_status(self, *statuses):
        with self.lock:
            return [dict(r) for r in self.runs.values() if r["status"] in statuses]
