"""The run's instruments: what every live loop of a game day reads and writes.

The runner, the stop monitor, the runbook engine and the interactive responder all work
with the same four things: the scenario clock, the journal they write to, the journal
view they read (kept current by the journal, record by record) and the scoring config
they judge by. They are made once per run (``harness.run.runner``) and handed around as
one value. It sits below ``run/`` and ``runbook/`` because both use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

from harness.journal.store import Journal
from harness.scoring import JournalView, ScoringConfig
from plumbing.clock import Clock

__all__ = ["Instruments"]

#: the runner starts its clock (a ScaledClock or VirtualClock); the loops only read one
C_co = TypeVar("C_co", bound=Clock, covariant=True)


@dataclass(frozen=True, slots=True)
class Instruments(Generic[C_co]):
    """The clock, journal, live journal view and scoring config of one run."""

    clock: C_co
    journal: Journal
    view: JournalView  # subscribed to ``journal``: what the live loops read
    scoring: ScoringConfig
