"""The experiments table: in memory, or also appended to a JSON-lines file.

With a file, every change is written (and flushed) before the client hears of it, so a
process killed with SIGKILL loses nothing it acknowledged; at start the last line of
each experiment wins.
"""

import json
import os
import threading
import uuid


class Store:
    def __init__(self, path=None):
        self.lock = threading.Lock()
        self.items = {}  # id -> dict
        self.by_ref = {}  # client ref -> id
        self._file = None
        if path:
            if os.path.exists(path):
                with open(path, encoding="utf-8") as fh:
                    for line in fh:
                        try:
                            item = json.loads(line)
                        except ValueError:
                            continue  # a torn last line: never acknowledged
                        self.items[item["id"]] = item
                        self.by_ref[item["ref"]] = item["id"]
            self._file = open(path, "a", encoding="utf-8")

    def _save(self, item):
        if self._file is not None:
            self._file.write(json.dumps(item) + "\n")
            self._file.flush()

    def create(self, source, shots, ref):
        """(experiment, created): the existing one when ``ref`` was seen before."""
        with self.lock:
            known = self.by_ref.get(ref)
            if known is not None:
                return dict(self.items[known]), False
            item = {"id": "x-" + uuid.uuid4().hex[:12], "ref": ref, "state": "queued",
                    "source": source, "shots": shots, "job": None, "attempts": 0,
                    "counts": None, "error": None}  # fmt: skip
            self.items[item["id"]] = item
            self.by_ref[ref] = item["id"]
            self._save(item)
            return dict(item), True

    def get(self, item_id):
        with self.lock:
            item = self.items.get(item_id)
            return dict(item) if item else None

    def update(self, item_id, **changes):
        with self.lock:
            item = self.items[item_id]
            item.update(changes)
            self._save(item)

    def in_state(self, *states):
        with self.lock:
            return [dict(x) for x in self.items.values() if x["state"] in states]
