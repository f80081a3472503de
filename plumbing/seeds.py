"""Named seed streams: every random choice of a game day comes from one of these.

A scenario has one ``seed``. Each part that draws random numbers asks for its own
stream by name (``arrivals``, ``jobmix``, ``names``, ``faults``, ``backend:<name>:queue``,
``aer:<job>``, ...), so one part drawing more or fewer numbers, or drawing them in
another order because of task scheduling, never shifts what another part draws. A
stream is a plain :class:`random.Random` seeded with a hash of (seed, name): the same
on every machine and Python version (``random.Random`` seeded with an ``int`` is
specified to give the same sequence).

The names in use (``docs``: ARCHITECTURE.md, "Determinism"):

- harness: ``arrivals`` (inter-arrival times), ``jobmix`` (circuit, tenant, canary
  nonce of each job), ``polls`` (the first poll's jitter of each job), ``names``
  (Faker: tenants and job names), ``fingerprints``; ``noisy`` and ``noisy-mix`` (a
  noisy tenant's arrivals and circuits), ``loop:<i>`` (a hybrid loop's first angle and
  poll jitter); ``faults`` for faults that draw;
- fake backends: ``backend:<name>:<purpose>`` (``queue``, ``service``, ``results``,
  ``background``, ``tenants``, ``drift``, ``tokens``, ``ids``, ``errors``) and
  ``aer:<job>`` (the simulator seed of one job's execution);
- the reference orchestrator: ``sut:reference``.

>>> stream(7, "arrivals").random() == stream(7, "arrivals").random()
True
>>> derive(7, "arrivals") != derive(7, "jobmix")
True
"""

from __future__ import annotations

import hashlib
import random

__all__ = ["derive", "stream"]


def derive(seed: int, name: str) -> int:
    """A 63-bit integer seed for stream ``name`` of run seed ``seed`` (stable everywhere).

    63 bits: it fits a signed 64-bit integer, which is what Aer's ``seed_simulator``
    takes.
    """
    digest = hashlib.sha256(f"qgameday\0{seed}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def stream(seed: int, name: str) -> random.Random:
    """The random stream ``name`` of run seed ``seed``: a fresh, independent generator."""
    return random.Random(derive(seed, name))
