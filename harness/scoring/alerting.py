"""Alert quality: were the SUT's pages about the incidents, one per incident, resolved?

A **page** is an alert identity (its name and labels) going from quiet to firing: a
``firing`` notification for an identity that is not firing yet. Repeated ``firing``
notifications while it fires (Alertmanager's ``repeat_interval``) are the same page; a
``resolved`` one ends it.

Each incident (a fault window, :mod:`harness.scoring.incidents`) owns the window from
its start until its fault ended or it recovered, whichever is later, plus
``stable_window`` (what it takes to call a recovery stable: a page that ends just after
is still about it). A page starting inside an incident's window is *about* that
incident (the first such window, when windows overlap); any other page is a **false
positive**: it woke someone outside every incident (during the warm-up, in a background
condition, ``incident: false``, or long after the recovery).

- ``precision`` = pages about an incident / all pages (None without pages);
- ``recall`` = incidents detected (a firing alert in their window: TTD) / incidents;
- ``worst_per_incident``: the most pages one incident caused (a storm: a flapping link
  paging every minute; ``alerts_per_incident`` gate);
- ``unresolved``: pages still firing when the run ended, though every fault had
  healed (a page nobody can close: ``unresolved_alerts`` gate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.scoring.incidents import Incident
from harness.scoring.views import AlertView

__all__ = ["AlertQuality", "Page", "alert_quality", "pages"]


@dataclass(frozen=True, slots=True)
class Page:
    """One page: an alert identity firing from ``t`` until ``resolved_at`` (None: never)."""

    identity: str
    t: float
    resolved_at: float | None = None
    incident: str | None = None  # the incident it was about (None: a false positive)


@dataclass(frozen=True, slots=True)
class AlertQuality:
    """How well the SUT's pages matched the incidents (see the module docstring)."""

    pages: tuple[Page, ...]
    per_incident: tuple[tuple[str, int], ...]
    incidents: int
    detected: int

    @property
    def false_positives(self) -> int:
        return sum(1 for p in self.pages if p.incident is None)

    @property
    def unresolved(self) -> int:
        return sum(1 for p in self.pages if p.resolved_at is None)

    @property
    def precision(self) -> float | None:
        if not self.pages:
            return None
        return (len(self.pages) - self.false_positives) / len(self.pages)

    @property
    def recall(self) -> float | None:
        return self.detected / self.incidents if self.incidents else None

    @property
    def worst_per_incident(self) -> int:
        return max((n for _, n in self.per_incident), default=0)


def pages(alerts: Sequence[AlertView]) -> list[Page]:
    """Every page in ``alerts`` (time order), with when it was resolved."""
    open_since: dict[str, int] = {}
    out: list[Page] = []
    for a in sorted(alerts, key=lambda a: a.t):
        key = a.identity
        if a.status == "firing" and key not in open_since:
            open_since[key] = len(out)
            out.append(Page(key, a.t))
        elif a.status == "resolved" and key in open_since:
            i = open_since.pop(key)
            out[i] = Page(key, out[i].t, a.t)
    return out


def alert_quality(
    alerts: Sequence[AlertView], found: Sequence[Incident], stable_window: float, end: float
) -> AlertQuality:
    """Attribute every page to an incident, or to none (definitions: module docstring)."""
    windows = [(i.id, i.start_s, _until(i, end) + stable_window) for i in found]
    attributed = []
    counts = dict.fromkeys((i.id for i in found), 0)
    for page in pages(alerts):
        about = next((name for name, lo, hi in windows if lo <= page.t < hi), None)
        if about is not None:
            counts[about] += 1
        attributed.append(Page(page.identity, page.t, page.resolved_at, about))
    return AlertQuality(
        pages=tuple(attributed),
        per_incident=tuple(counts.items()),
        incidents=len(found),
        detected=sum(1 for i in found if i.detected),
    )


def _until(i: Incident, end: float) -> float:
    """When an incident is over: its fault ended or it recovered, whichever is later."""
    ends = [t for t in (i.end_s, i.recovered_at_s) if t is not None]
    if not ends or (i.impact and i.recovered_at_s is None):
        return end  # still going when the run ended
    return max(ends)
