"""Telemetry delivery: did the SUT's alerts reach the webhook, could its metrics be read?

From the ``webhook.refused`` and ``sut.scrape`` records (``telemetry.*`` faults,
:mod:`harness.faults.telemetry`):

- ``refused``: notifications the webhook refused (answered 5xx) while it was down;
- ``lost``: the names of pages refused and never delivered afterwards (no ``firing``
  alert of that name arrived at or after the refusal): a SUT that fires and forgets
  loses them, one that sends again once the webhook answers does not (``alerts_lost``
  gate). What a black-holed link swallows the harness never sees: there the incident's
  TTD and recall say whether the page arrived late or never;
- ``scrapes`` / ``scrape_failures``, and ``longest_dark``: the longest run of scenario
  seconds between two successful scrapes (from the first scrape attempt): how long
  whoever watches the SUT's metrics was blind.

:class:`Secrets` is what the secret watch (:mod:`harness.sut.leaks`) found: each leak
(where, which secret, a detail; never the value) and how much it checked
(``secret_leaks`` gate: the number of distinct leaks).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.scoring.views import AlertView, Record

__all__ = ["Leak", "Secrets", "Telemetry", "secrets", "telemetry"]


@dataclass(frozen=True, slots=True)
class Telemetry:
    """What reached whoever watches the SUT (see the module docstring)."""

    refused: int = 0
    lost: tuple[str, ...] = ()
    scrapes: int = 0
    scrape_failures: int = 0
    longest_dark: float = 0.0


def telemetry(
    refused: Sequence[Record], scrapes: Sequence[Record], alerts: Sequence[AlertView]
) -> Telemetry:
    """The telemetry figures of a run from its journal's records."""
    lost: list[str] = []
    for r in refused:
        t = float(r["t"])
        for what in r.get("what") or ():
            status, _, name = str(what).partition(":")
            if status != "firing" or name in lost:
                continue
            if not any(a.status == "firing" and a.name == name and a.t >= t for a in alerts):
                lost.append(name)
    longest, last_ok = 0.0, None
    for r in scrapes:
        t = float(r["t"])
        if last_ok is None:
            last_ok = t  # blind from here until the next good scrape, if this one failed
        if r.get("ok"):
            longest, last_ok = max(longest, t - last_ok), t
    if scrapes and last_ok is not None:
        longest = max(longest, float(scrapes[-1]["t"]) - last_ok)
    return Telemetry(
        refused=len(refused),
        lost=tuple(lost),
        scrapes=len(scrapes),
        scrape_failures=sum(1 for r in scrapes if not r.get("ok")),
        longest_dark=longest,
    )


@dataclass(frozen=True, slots=True)
class Leak:
    """A secret seen where it does not belong (``secret.leak``)."""

    t: float
    where: str
    secret: str
    detail: str


@dataclass(frozen=True, slots=True)
class Secrets:
    """The secret watch's findings: ``checked`` is None when the run had no watch."""

    leaks: tuple[Leak, ...] = ()
    checked: tuple[tuple[str, int], ...] | None = None


def secrets(leaks: Sequence[Record], scan: Record | None) -> Secrets:
    """The secret watch's findings from its ``secret.leak`` and ``secret.scan`` records."""
    found = tuple(
        Leak(float(r["t"]), str(r["where"]), str(r["secret"]), str(r.get("detail", "")))
        for r in leaks
    )
    checked = None
    if scan is not None and isinstance(scan.get("checked"), dict):
        checked = tuple(sorted((str(k), int(v)) for k, v in scan["checked"].items()))
    return Secrets(found, checked)
