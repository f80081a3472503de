"""Result stability: identical circuits answered with drifting distributions.

The ``correctness`` SLI compares every result with the ideal distribution against one
bound for the whole run. A device's noise differs per circuit (a Bell pair keeps ~0.95 of
its ideal on FakeManilaV2, a 5-qubit GHZ state ~0.8), so one bound loose enough for the
deepest circuit lets a shallow one lose a tenth of its fidelity unseen. The ``stability``
SLI compares each circuit with itself instead: its **baseline** is the median fidelity
of its first ``baseline`` completed jobs, in submission order (the seed plans that
order, so the same seed gives the same baseline), and a later job of that circuit
*drifted* when its fidelity is more than ``max_drop`` below that baseline.

Put the baseline jobs before the first fault (a ``warmup`` long enough for ``baseline``
jobs of every circuit): drift is measured against them. A circuit with fewer completed
jobs than ``baseline`` has no baseline and gives no stability events.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from statistics import median

from harness.scoring.views import JobView

__all__ = ["DEFAULT_BASELINE", "Baselines", "baselines", "drifted"]

#: jobs per circuit that make its baseline, unless the SLO says otherwise
DEFAULT_BASELINE = 5

#: circuit name -> (baseline fidelity, ids of the jobs that made it)
Baselines = Mapping[str, tuple[float, frozenset[str]]]

_COMPLETED = ("ok", "wrong", "unexpected")


def baselines(jobs: Iterable[JobView], size: int, end: float) -> Baselines:
    """Each circuit's baseline from its first ``size`` ok jobs completed by ``end``."""
    firsts: dict[str, list[JobView]] = {}
    for job in sorted(jobs, key=lambda j: (j.submitted_at, j.id)):
        if job.circuit is None or job.fidelity is None or job.outcome != "ok":
            continue
        if job.ended_at is None or job.ended_at > end:
            continue
        group = firsts.setdefault(job.circuit, [])
        if len(group) < size:
            group.append(job)
    return {
        name: (median(j.fidelity for j in group if j.fidelity is not None), _ids(group))
        for name, group in firsts.items()
        if len(group) == size
    }


def _ids(group: Iterable[JobView]) -> frozenset[str]:
    return frozenset(j.id for j in group)


def drifted(job: JobView, base: Baselines, max_drop: float) -> bool | None:
    """Whether a completed job drifted from its circuit's baseline (None: not judged).

    Not judged: the job made the baseline, its circuit has none, or it has no fidelity
    (it did not complete, or its circuit has no ideal distribution). A job that completed
    with invalid or foreign counts (``wrong``, ``unexpected``) drifted.
    """
    if job.circuit is None or job.circuit not in base or job.outcome not in _COMPLETED:
        return None
    level, made_it = base[job.circuit]
    if job.id in made_it:
        return None
    if job.outcome != "ok":
        return True
    if job.fidelity is None:
        return None
    return job.fidelity < level - max_drop
