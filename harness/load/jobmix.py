"""The job mix both load engines draw from: circuits, tenants and job names, seeded.

The built-in workload and the Locust users must send the same kind of traffic for a
scenario's seed: the same tenants (company names from Faker seeded with the scenario
seed), the same circuits (OpenQASM 3 text from :mod:`harness.load.circuits`) and job names
made the same way. This module is imported by both sides: the asyncio harness and the
Locust processes, so it imports neither asyncio nor locust.

>>> mix = JobMix(seed=7, circuits=("bell",), tenants=2)
>>> job = mix.draw()
>>> job.circuit.name, job.tenant in mix.tenants
('bell', True)
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from faker import Faker

from harness.load.circuits import Circuit, for_job
from harness.load.circuits import circuit as make_circuit
from plumbing.seeds import derive, stream

__all__ = ["DrawnJob", "JobMix", "tenant_names"]


@dataclass(frozen=True, slots=True)
class DrawnJob:
    """One job to submit: which circuit, for which tenant, under which display name."""

    circuit: Circuit
    tenant: str
    name: str


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "tenant"


def tenant_names(fake: Faker, n: int) -> list[str]:
    """``n`` tenant slugs (Faker company names), drawn from an already seeded ``fake``."""
    return [_slug(fake.company()) for _ in range(n)]


class JobMix:
    """Draws jobs for one client stream.

    ``seed`` fixes the tenants (the same for every stream of a run) and the job names
    (Faker, seeded from the run's ``names`` stream); ``rng`` (default: the run's
    ``jobmix`` stream) picks the circuit, tenant and canary nonce of each job, so many
    Locust users can share one run's tenants while drawing independently.
    """

    def __init__(
        self,
        seed: int,
        circuits: Sequence[str],
        tenants: int,
        rng: random.Random | None = None,
        idle_us: float = 0.0,
    ) -> None:
        fake = Faker()
        fake.seed_instance(derive(seed, "names"))
        self._fake = fake
        self.tenants = tenant_names(fake, tenants)
        self.circuits = [make_circuit(name, idle_us) for name in circuits]
        self._rng = rng if rng is not None else stream(seed, "jobmix")

    def draw(self, tag: float | None = None) -> DrawnJob:
        """The next job: a random circuit and tenant, and a ``<word>-<circuit>`` name.

        Canary circuits get a fresh per-job nonce and, with ``tag``, every circuit its
        fingerprint rotation (:func:`harness.load.circuits.for_job`). Each call makes
        the same draws in the same order, so a sequence of calls is fixed by the seed.
        """
        circuit = for_job(self._rng.choice(self.circuits), self._rng, tag)
        tenant = self._rng.choice(self.tenants)
        return DrawnJob(circuit, tenant, f"{self._fake.word()}-{circuit.name}")
