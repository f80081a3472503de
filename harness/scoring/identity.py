"""Which logical job a backend execution ran, whatever the SUT did to its key.

Every workload job's circuit has an ideal output distribution of its own (a per-job
fingerprint rotation: ``harness.load.circuits``), recorded in its ``job.submitted``
record (``ideal``). A fake backend records the ideal distribution of each circuit it
executes (``backend.execution`` ``fingerprint``: ``fake_backends.fingerprint``). The
two are the same distribution whenever the circuit reached the backend intact,
through any transpiler and any protocol, so an execution is matched to the job whose
distribution equals its fingerprint within :data:`TOLERANCE` (simulator rounding is
~1e-15; two jobs of a run differ by > 1e-6). Without a fingerprint (a circuit the
backend could not fingerprint, an old journal) the execution's idempotency key names
its job, when it is one of the workload's. A SUT may scope the workload's key (the
reference orchestrator sends ``<tenant>/<key>``): the job a key names is what follows
its last ``/`` (:func:`job_of_key`).

>>> index = FingerprintIndex([("a", {"00": 0.499, "01": 0.002, "11": 0.499})])
>>> index.find({"00": 0.499, "01": 0.002, "11": 0.499})
'a'
>>> index.find({"00": 0.5, "11": 0.5}) is None
True
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["TOLERANCE", "FingerprintIndex", "execution_job", "job_of_key"]

TOLERANCE = 1e-7


class FingerprintIndex:
    """Jobs by ideal distribution: support, then its smallest probability (bisected)."""

    def __init__(self, jobs: Iterable[tuple[str, Mapping[str, float]]] = ()) -> None:
        self._groups: dict[tuple[str, ...], list[tuple[float, str, dict[str, float]]]] = {}
        self._keys: dict[tuple[str, ...], list[float]] = {}
        for job, ideal in jobs:
            self.add(job, ideal)

    def add(self, job: str, ideal: Mapping[str, Any]) -> None:
        """Index one more job by its ideal distribution (jobs arrive as a run plays)."""
        dist = _clean(ideal)
        if not dist:
            return
        support = tuple(sorted(dist))
        entry = (min(dist.values()), job, dist)
        at = bisect.bisect(self._keys.setdefault(support, []), entry[0])
        self._keys[support].insert(at, entry[0])
        self._groups.setdefault(support, []).insert(at, entry)

    def find(self, fingerprint: Mapping[str, Any]) -> str | None:
        """The job whose ideal distribution is ``fingerprint`` (None: none, or ambiguous)."""
        dist = _clean(fingerprint)
        support = tuple(sorted(dist))
        group = self._groups.get(support)
        if not group:
            return None
        smallest = min(dist.values())
        keys = self._keys[support]
        lo = bisect.bisect_left(keys, smallest - TOLERANCE)
        hi = bisect.bisect_right(keys, smallest + TOLERANCE)
        hits = [
            job
            for _, job, ideal in group[lo:hi]
            if all(abs(ideal[k] - dist[k]) <= TOLERANCE for k in support)
        ]
        return hits[0] if len(hits) == 1 else None


def _clean(dist: Mapping[str, Any]) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, p in dist.items():
        try:
            value = float(p)
        except (TypeError, ValueError):
            return {}
        if value > 1e-9:
            out[str(key).replace(" ", "")] = value
    return out


def execution_job(
    record: Mapping[str, Any], index: FingerprintIndex, jobs: Mapping[str, Any]
) -> tuple[str | None, str]:
    """(job id or None, how: ``fingerprint``, ``key`` or ``none``) of one execution."""
    marks = record.get("fingerprint")
    if isinstance(marks, Mapping) and (job := index.find(marks)) is not None:
        return job, "fingerprint"
    key = record.get("idempotency_key")
    if key is not None and job_of_key(key) in jobs:
        return job_of_key(key), "key"
    return None, "none"


def job_of_key(key: object) -> str:
    """The workload job an idempotency key seen by a backend names (its last part)."""
    return str(key).rpartition("/")[2]
