"""The event journal: every fact of a game day, one JSON object per line.

Records are ``{"t": <scenario seconds>, "type": "<family>.<event>", ...}``; their types
are declared once (:mod:`harness.journal.records`, :mod:`fake_backends.records`; the
table is ``docs/journal.md``: among them ``lag`` and ``lag.summary``, the instrument's
own lateness, :mod:`harness.journal.lateness`). The file is append-only and flushed
every tick, so a run that is killed can still be scored from what reached the disk
(:func:`read_journal` tolerates a torn last line). Live readers subscribe
(:meth:`Journal.subscribe`) and see each record once, as it is written, instead of
re-reading the list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from plumbing.clock import Clock
from plumbing.records import Event

__all__ = ["Journal", "Listener", "read_journal"]

#: called with every record as it is written
Listener = Callable[[Mapping[str, Any]], None]


class Journal:
    """Append-only JSONL journal stamped with scenario time; also kept in memory."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("a", encoding="utf-8")
        self.records: list[dict[str, Any]] = []
        self._listeners: list[Listener] = []

    def write(self, event: Event[Any], *, at: float | None = None) -> dict[str, Any]:
        """Append ``event`` at the current scenario time (or at ``at``) and return it.

        ``at`` is for facts that happened a little earlier elsewhere, e.g. in a Locust
        process: such a record can be older than the one before it.
        """
        t = self._clock.now() if at is None else at
        rec = {"t": round(t, 3), "type": event.type, **event.fields}
        self.records.append(rec)
        if self._file is not None:
            self._file.write(json.dumps(rec, separators=(",", ":"), default=str) + "\n")
        for listener in self._listeners:
            listener(rec)
        return rec

    def sink(self, event: Event[Any]) -> None:
        """The :data:`~plumbing.records.EventSink` the fake clouds and the proxy report to."""
        self.write(event)

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(record)`` for every record written from now on."""
        self._listeners.append(listener)

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
