"""The event journal: every fact of a game day, one JSON object per line.

Records are ``{"t": <scenario seconds>, "type": "<family>.<event>", ...}``. The file is
append-only and flushed every tick, so a run that is killed can still be scored from
what reached the disk (:func:`read_journal` tolerates a torn last line).

Record types: ``run.started`` (with the scenario), ``run.ended``, ``phase``,
``steady_state``, ``fault.started``/``fault.ended``, ``job.submitted``/``accepted``/
``rejected``/``indeterminate``/``completed``/``failed``, ``alert``, ``tick``, and the
fake backends' own ``backend.*`` records (executions, token revocations, ...).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO, Any

from plumbing.clock import Clock

__all__ = ["Journal", "read_journal"]


class Journal:
    """Append-only JSONL journal stamped with scenario time; also kept in memory."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        self.records: list[dict[str, Any]] = []

    def record(self, type: str, *, at: float | None = None, **data: Any) -> dict[str, Any]:
        """Append one record at the current scenario time (or at ``at``) and return it.

        ``at`` is for facts that happened a little earlier elsewhere, e.g. in a Locust
        process: such a record can be older than the one before it.
        """
        t = self._clock.now() if at is None else at
        rec = {"t": round(t, 3), "type": type, **data}
        self.records.append(rec)
        if self._file is not None:
            self._file.write(json.dumps(rec, separators=(",", ":"), default=str) + "\n")
        return rec

    def sink(self, type: str, data: dict[str, Any]) -> None:
        """Adapter for the fake backends' event sink signature."""
        self.record(type, **data)

    def flush(self) -> None:
        if self._file is not None:
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def read_journal(path: Path) -> list[dict[str, Any]]:
    """Load a journal; a torn final line (the process was killed mid-write) is skipped."""
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    for i, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1:
                break
            raise ValueError(f"{path}:{i + 1}: corrupt journal line") from None
        if isinstance(rec, dict):
            records.append(rec)
    return records
