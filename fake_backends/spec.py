"""How one fake backend behaves: device, queue model, limits, keys, maintenance.

A :class:`BackendSpec` is plain configuration (scenario ``backends:`` entries and
``gameday serve`` files become one); :class:`~fake_backends.cloud.FakeCloud` brings it
to life. Times are scenario seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from fake_backends.scheduling import ServiceTime

__all__ = ["BackendSpec", "LoadSpec", "MaintenanceWindow"]


@dataclass(frozen=True, slots=True)
class LoadSpec:
    """Base background load: ``rate`` jobs per scenario second from ``tenants`` tenants."""

    rate: float = 0.0
    shots: int = 4000
    tenants: int = 5
    priority: int = 0


@dataclass(frozen=True, slots=True)
class MaintenanceWindow:
    """A scheduled maintenance: from ``at`` for ``duration``; new jobs rejected or held."""

    at: float
    duration: float
    mode: Literal["reject", "hold"] = "reject"

    @property
    def end(self) -> float:
        return self.at + self.duration


@dataclass(frozen=True, slots=True)
class BackendSpec:
    """How one fake backend behaves (see the module docstring)."""

    name: str
    device: str = "FakeManilaV2"
    slots: int = 2
    service_time: ServiceTime = field(default_factory=lambda: ServiceTime(2.0, 0.001))
    max_depth: int = 500
    fair_share: bool = True
    background: LoadSpec = field(default_factory=LoadSpec)
    maintenance: tuple[MaintenanceWindow, ...] = ()
    token_ttl: float = 3600.0
    max_shots: int = 100_000
    max_qubits: int = 20
    max_circuit_bytes: int = 256 * 1024
    calibration_step: float = 10.0
    #: take ISA circuits only (laid out and translated for the served configuration),
    #: like IBM since 2024; others are refused 400 ``not_isa``
    isa: bool = False
    api_keys: Mapping[str, str] = field(default_factory=dict)

    def keys(self) -> dict[str, str]:
        """API key -> tenant; defaults to one key ``key-<name>`` for tenant ``orchestrator``."""
        return dict(self.api_keys) or {f"key-{self.name}": "orchestrator"}
