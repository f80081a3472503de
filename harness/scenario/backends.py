"""Scenario ``backends:`` entries (also the ``gameday serve`` file): YAML -> BackendConfig.

Every field is optional but ``name``; errors name the file, line and YAML path::

    backends:
      - name: manila
        device: FakeManilaV2              # or FakeSherbrooke, generic:20 ... (gameday devices)
        slots: 2
        service_time: {per_job: 2s, per_shot: 1ms, cv: 0.3}
        max_depth: 500                    # then 429 + Retry-After
        fair_share: true                  # false: arrival order within a priority
        background: {rate: 2/m, shots: 4000, tenants: 5}
        maintenance:
          - {at: 10m, duration: 5m, mode: reject}   # or hold
        max_shots: 100000
        max_qubits: 20                    # widest circuit simulated
        isa: false                        # true: ISA circuits only (else 400 not_isa)
        token_ttl: 1h
        port: 0
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from fake_backends.devices import device_qubits
from fake_backends.errors import UnknownDevice
from fake_backends.scheduling import ServiceTime
from fake_backends.spec import BackendSpec, LoadSpec, MaintenanceWindow
from harness.faults import FaultSpec
from harness.fields import Fields

__all__ = ["BackendConfig", "check_fault_qubits", "parse_backend"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True, slots=True)
class BackendConfig:
    """One ``backends:`` entry: how the fake backend behaves, and the port the SUT reaches
    it on (0: any). Its parameters live once, in the fakes' own :class:`BackendSpec`."""

    spec: BackendSpec
    port: int = 0

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def device(self) -> str:
        return self.spec.device


def parse_backend(f: Fields, *, calibration_step: float = 10.0) -> BackendConfig:
    """Validate one ``backends[i]`` mapping (drift is applied once per ``calibration_step``)."""
    name = f.text("name")
    if not _NAME.match(name):
        raise f.error(f"expected letters, digits, '-', '_' or '.', found {name!r}", "name")
    device = f.text("device", "FakeManilaV2")
    try:
        qubits = device_qubits(device)
    except UnknownDevice as exc:
        raise f.error(str(exc), "device") from None
    service = f.child("service_time", {})
    service_time = ServiceTime(
        service.duration("per_job", 2.0),
        service.duration("per_shot", 0.001),
        service.number("cv", 0.0, min=0.0, max=10.0),
    )
    service.done()
    slots = f.integer("slots", 2, min=1)
    max_depth = f.integer("max_depth", 500, min=1)
    token_ttl = f.duration("token_ttl", 3600.0, positive=True)
    port = f.integer("port", 0, min=0)
    spec = BackendSpec(
        name=name,
        device=device,
        slots=slots,
        service_time=service_time,
        max_depth=max_depth,
        token_ttl=token_ttl,
        fair_share=f.flag("fair_share", True),
        isa=f.flag("isa", False),
        background=_background(f.child("background", {})),
        maintenance=tuple(_window(w) for w in f.children("maintenance", [])),
        max_shots=f.integer("max_shots", 100_000, min=1),
        max_qubits=f.integer("max_qubits", min(20, qubits), min=1),
        calibration_step=calibration_step,
    )
    if port > 65535:
        raise f.error(f"expected a port 0..65535, found {port}", "port")
    f.done()
    return BackendConfig(spec, port)


def check_fault_qubits(
    faults: Sequence[FaultSpec], backends: Sequence[BackendConfig], f: Fields
) -> None:
    """Reject, at load time, a fault naming a qubit its backend's device does not have."""
    qubits = {b.name: device_qubits(b.device) for b in backends}
    for i, spec in enumerate(faults):
        highest = spec.fault.highest_qubit()
        if highest is None:
            continue
        for name in spec.backends:
            if highest >= qubits[name]:
                raise f.error(
                    f"qubit {highest} does not exist on backend {name!r} ({qubits[name]} qubits)",
                    f"faults[{i}]",
                )


def _background(f: Fields) -> LoadSpec:
    spec = LoadSpec(
        rate=f.rate("rate", 0.0, allow_zero=True),
        shots=f.integer("shots", 4000, min=1),
        tenants=f.integer("tenants", 5, min=1),
        priority=f.integer("priority", 0, min=-10),
    )
    if spec.priority > 10:
        raise f.error(f"expected a priority -10..10, found {spec.priority}", "priority")
    f.done()
    return spec


def _window(f: Fields) -> MaintenanceWindow:
    mode: Literal["reject", "hold"] = (
        "hold" if f.text("mode", "reject", choices=("reject", "hold")) == "hold" else "reject"
    )
    window = MaintenanceWindow(
        at=f.duration("at"), duration=f.duration("duration", positive=True), mode=mode
    )
    f.done()
    return window
